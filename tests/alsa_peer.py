"""A third-party ALSA sequencer peer for tests/alsa_seq.rs, built on python-rtmidi.

    alsa_peer.py send ADDR HEX...     open an output to ADDR (e.g. 128:0), send each message
    alsa_peer.py receive ADDR SECS    open an input from ADDR, print the first message as
                                      "GOT <hex>" (or "TIMEOUT" after SECS seconds)
    alsa_peer.py mido-ports           print the output port names mido sees, one a line

Ports are found by the "client:port" address RtMidi appends to every port name, so a test
never depends on how RtMidi spells the client name.
"""

import sys
import time

import rtmidi


def find_port(midi, address):
    for index, name in enumerate(midi.get_ports()):
        if name.endswith(" " + address):
            return index
    sys.exit("no port %s among %r" % (address, midi.get_ports()))


def send(address, messages):
    out = rtmidi.MidiOut(rtmidi.API_LINUX_ALSA, name="alsa-peer")
    out.open_port(find_port(out, address), name="alsa-peer out")
    for message in messages:
        out.send_message(list(bytes.fromhex(message)))
    # RtMidi sends synchronously; a short pause lets the kernel deliver before we disconnect.
    time.sleep(0.3)
    print("SENT", len(messages), flush=True)
    out.close_port()


def receive(address, seconds):
    midi_in = rtmidi.MidiIn(rtmidi.API_LINUX_ALSA, name="alsa-peer")
    midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
    midi_in.open_port(find_port(midi_in, address), name="alsa-peer in")
    print("READY", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = midi_in.get_message()
        if got:
            message, _delta = got
            print("GOT", bytes(message).hex(), flush=True)
            midi_in.close_port()
            return
        time.sleep(0.005)
    print("TIMEOUT", flush=True)
    sys.exit(1)


def mido_ports():
    import mido

    mido.set_backend("mido.backends.rtmidi")
    for name in mido.get_output_names():
        print("PORT", name, flush=True)
    print("END", flush=True)


def main(argv):
    if len(argv) == 2 and argv[1] == "mido-ports":
        mido_ports()
    elif len(argv) >= 3 and argv[1] == "send":
        send(argv[2], argv[3:])
    elif len(argv) == 4 and argv[1] == "receive":
        receive(argv[2], float(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
