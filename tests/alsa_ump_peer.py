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
    # libremidi's ALSA backends keep a context handle in `client` and pack the sequencer
    # address into `port` as (port << 32) | client.
    for candidate in ports:
        if (candidate.port & 0xFFFFFFFF, candidate.port >> 32) == (client, port):
            return candidate
    sys.exit("no port %s among %r" % (address, [(p.client, p.port, p.display_name) for p in ports]))


def observer():
    if lr.API.ALSA_SEQ_UMP not in lr.available_ump_apis():
        sys.exit("pylibremidi offers no ALSA_SEQ_UMP backend here: %r" % lr.available_ump_apis())
    config = lr.ObserverConfiguration()
    # libremidi lists only hardware ports by default; ours is an application port.
    config.track_hardware = True
    config.track_virtual = True
    config.track_any = True
    return lr.Observer(config, lr.API.ALSA_SEQ_UMP)


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
    config.on_error = lambda text, _where: print("ERROR", text, flush=True)
    config.on_warning = lambda text, _where: print("WARNING", text, flush=True)
    config.ignore_sysex = False
    midi_in = lr.MidiIn(config, lr.API.ALSA_SEQ_UMP)
    error = midi_in.open_port(source, "ump-peer in")
    if error:
        sys.exit("open_port failed: %s" % error)
    print("READY", flush=True)
    deadline = time.monotonic() + seconds
    words = None
    while words is None and time.monotonic() < deadline:
        midi_in.poll()
        try:
            words = arrived.get(timeout=0.01)
        except queue.Empty:
            pass
    if words is None:
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
