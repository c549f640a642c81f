package dev.glisten;

import java.net.ProtocolException;
import java.nio.ByteBuffer;

/**
 * A {@link FrameDecoder} of the user's own, as the interface's Javadoc writes it: MQTT's fixed
 * header, a type byte and a "remaining length" of 1 to 4 bytes of 7 bits each, the high bit set
 * while more follow. Shared by the framing tests and the fuzz test of the framing engine.
 */
public final class MqttDecoder implements FrameDecoder {

    /** The one instance: decoders keep no state. */
    public static final MqttDecoder MQTT = new MqttDecoder();

    private MqttDecoder() { }

    @Override
    public long frameLength(ByteBuffer input, int examined) throws ProtocolException {
        int start = input.position();
        long remaining = 0;
        for (int i = 0; i < 4; i++) {
            if (input.remaining() < 2 + i) {
                return 0;
            }
            byte digit = input.get(start + 1 + i);
            remaining |= (long) (digit & 0x7F) << (7 * i);
            if ((digit & 0x80) == 0) {
                return 2 + i + remaining;
            }
        }
        throw new ProtocolException("MQTT remaining length longer than 4 bytes");
    }
}
