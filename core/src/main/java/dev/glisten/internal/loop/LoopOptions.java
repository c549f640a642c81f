package dev.glisten.internal.loop;

import dev.glisten.Framing;
import dev.glisten.Handler;
import dev.glisten.MailboxOverflow;
import dev.glisten.OnClose;
import dev.glisten.OnInit;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link ConnectionLoop} runs and within which limits: the part of a server's options that
 * each connection applies, and all of a test connection's. Checked once, here, for the server's
 * builder and TestConnection's alike.
 *
 * @param idleTimeout {@code null} for none
 * @param maxLifetime {@code null} for none
 * @param allowHalfClose whether the peer's end of input is delivered ({@link dev.glisten.Message.EndOfInput})
 *     rather than ending the connection
 */
public record LoopOptions<S, M>(
        OnInit<S, M> onInit,
        Handler<S, M> handler,
        OnClose<S, M> onClose,
        Duration idleTimeout,
        Duration maxLifetime,
        Framing framing,
        int maxFrameSize,
        int mailboxCapacity,
        MailboxOverflow mailboxOverflow,
        boolean allowHalfClose) {

    /**
     * The longest any timeout may be: about a century, far from where nanoseconds since an
     * arbitrary origin overflow (292 years), so deadlines compare correctly.
     */
    public static final Duration LONGEST_TIMEOUT = Duration.ofDays(36_500);
    /** The default of {@code maxFrameSize}; see {@code Server.Builder.maxFrameSize}. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 64 * 1024;
    /** The default of {@code mailboxCapacity}; see {@code Server.Builder.mailboxCapacity}. */
    public static final int DEFAULT_MAILBOX_CAPACITY = 1024;

    public LoopOptions {
        Objects.requireNonNull(onInit, "onInit");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(onClose, "onClose");
        Objects.requireNonNull(framing, "framing");
        Objects.requireNonNull(mailboxOverflow, "mailboxOverflow");
    }

    /** Checks a timeout option: positive and at most {@link #LONGEST_TIMEOUT}. */
    public static Duration positive(String option, Duration timeout) {
        Objects.requireNonNull(timeout, option);
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(LONGEST_TIMEOUT) > 0) {
            throw new IllegalArgumentException(option + " must be positive and at most "
                    + LONGEST_TIMEOUT.toDays() + " days, got " + timeout);
        }
        return timeout;
    }

    /** Checks {@code maxFrameSize}: 1 byte to 1 GiB. */
    public static int maxFrameSize(int bytes) {
        if (bytes < 1 || bytes > 1 << 30) {
            throw new IllegalArgumentException("maxFrameSize must be between 1 and 1073741824 bytes, got " + bytes);
        }
        return bytes;
    }

    /** Checks {@code mailboxCapacity}: 1 to 2^24 messages. */
    public static int mailboxCapacity(int messages) {
        if (messages < 1 || messages > 1 << 24) {
            throw new IllegalArgumentException("mailboxCapacity must be between 1 and 16777216 messages, got "
                    + messages);
        }
        return messages;
    }

    /** Checks {@code readBufferSize}: 1 byte to 16 MiB. */
    public static int readBufferSize(int bytes) {
        if (bytes < 1 || bytes > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("readBufferSize must be between 1 and 16777216 bytes, got " + bytes);
        }
        return bytes;
    }
}
