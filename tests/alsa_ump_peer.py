"""A MIDI 2.0 (UMP) ALSA sequencer peer for tests/alsa_seq.rs, built on pylibremidi.

    alsa_ump_peer.py send CLIENT:PORT WORDS...   open a UMP output to that port and send each
                                                 message (words in hex, joined by commas)
    alsa_ump_peer.py receive CLIENT:PORT SECS    open a UMP input from that port; print the
                                                 first message as "GOT w0 w1 ..." (hex), or
                                                 "TIMEOUT" after SECS seconds

pylibremidi's ALSA_SEQ_UMP backend needs alsa-lib 1.2.10 or later at run time and a kernel
with CONFIG_SND_SEQ_UMP; the harness provides both (.ci/alsa/setup-ump).
"""

import queue
import sys
import time

import pylibremidi as lr


def find_port(ports, address):
    client, port = (int(part) for part in address.split(":"))
    for candidate in ports:
        if candidate.client == client and candidate.port == port:
            return candidate
    sys.exit("no port %s among %r" % (address, [(p.client, p.port, p.display_name) for p in ports]))


def observer():
    if lr.API.ALSA_SEQ_UMP not in lr.available_ump_apis():
        sys.exit("pylibremidi offers no ALSA_SEQ_UMP backend here: %r" % lr.available_ump_apis())
    return lr.Observer(lr.ObserverConfiguration(), lr.API.ALSA_SEQ_UMP)


def send(address, messages):
    target = find_port(observer().get_output_ports(), address)
    out = lr.MidiOut(lr.OutputConfiguration(), lr.API.ALSA_SEQ_UMP)
    error = out.open_port(target, "ump-peer out")
    if error:
        sys.exit("open_port failed: %s" % error)
    for message in messages:
        words = [int(word, 16) for word in message.split(",")]
        error = out.send_ump(words)
        if error:
            sys.exit("send_ump failed: %s" % error)
    time.sleep(0.3)
    print("SENT", len(messages), flush=True)
    out.close_port()


def receive(address, seconds):
    source = find_port(observer().get_input_ports(), address)
    arrived = queue.Queue()
    config = lr.UmpInputConfiguration()
    config.on_message = lambda ump: arrived.put(list(ump.data))
    config.ignore_sysex = False
    midi_in = lr.MidiIn(config, lr.API.ALSA_SEQ_UMP)
    error = midi_in.open_port(source, "ump-peer in")
    if error:
        sys.exit("open_port failed: %s" % error)
    print("READY", flush=True)
    try:
        words = arrived.get(timeout=seconds)
    except queue.Empty:
        print("TIMEOUT", flush=True)
        sys.exit(1)
    print("GOT", " ".join("%08x" % w for w in words if w is not None), flush=True)
    midi_in.close_port()


def main(argv):
    if len(argv) >= 3 and argv[1] == "send":
        send(argv[2], argv[3:])
    elif len(argv) == 4 and argv[1] == "receive":
        receive(argv[2], float(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
