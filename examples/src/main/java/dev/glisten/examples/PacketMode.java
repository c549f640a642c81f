package dev.glisten.examples;

import dev.glisten.Framing;

/**
 * How the echo example cuts its stream into packets: the values of {@code --packet}, named as
 * Erlang's {@code {packet, raw | line | 1 | 2 | 4}} socket option.
 */
enum PacketMode {
    RAW("raw"), LINE("line"), LENGTH_1("1"), LENGTH_2("2"), LENGTH_4("4");

    private final String value;

    PacketMode(String value) {
        this.value = value;
    }

    /** As written on the command line. */
    String value() {
        return value;
    }

    /** The server framing that stands for it. */
    Framing framing() {
        return switch (this) {
            case RAW -> Framing.raw();
            case LINE -> Framing.lines();
            case LENGTH_1 -> Framing.lengthPrefixed(1);
            case LENGTH_2 -> Framing.lengthPrefixed(2);
            case LENGTH_4 -> Framing.lengthPrefixed(4);
        };
    }
}
