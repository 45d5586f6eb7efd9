complete --keep-order --exclusive --command midi --arguments "(COMPLETE=fish midi -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
