package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link OnClose} that records every call, counts calls per connection, and checks what the
 * contract promises at the moment of the call: the socket is already closed and the handle reports
 * the connection ended.
 */
final class RecordingOnClose<S, M> implements OnClose<S, M> {

    static final Duration WAIT = Duration.ofSeconds(10);
    /** How long to watch for a second, wrong call after the expected ones arrived. */
    static final Duration SETTLE = Duration.ofMillis(250);

    /** One call. */
    record Closed<S, M>(S state, CloseReason reason, Connection<M> connection, boolean sendFailed,
            boolean handleOpen) { }

    private final Map<ConnectionHandle<M>, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final BlockingQueue<Closed<S, M>> closed = new LinkedBlockingQueue<>();

    @Override
    public void onClose(S state, CloseReason reason, Connection<M> connection) {
        calls.computeIfAbsent(connection.handle(), handle -> new AtomicInteger()).incrementAndGet();
        boolean sendFailed;
        try {
            connection.send(new byte[] {'!'});
            sendFailed = false;
        } catch (IOException expected) {
            sendFailed = true;
        }
        closed.add(new Closed<>(state, reason, connection, sendFailed, connection.handle().isOpen()));
    }

    /** The next call, waiting up to {@link #WAIT}. */
    Closed<S, M> next() throws InterruptedException {
        Closed<S, M> next = closed.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (next == null) {
            fail("onClose was not called within " + WAIT);
        }
        assertThat(next.sendFailed()).as("a send from onClose fails: the socket is closed first").isTrue();
        assertThat(next.handleOpen()).as("the handle reports the connection ended").isFalse();
        return next;
    }

    /** The next {@code n} calls. */
    List<Closed<S, M>> next(int n) throws InterruptedException {
        List<Closed<S, M>> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(next());
        }
        return list;
    }

    /** Watches a little longer: no further call comes, and no connection was reported twice. */
    void assertNoMoreCalls() throws InterruptedException {
        Closed<S, M> extra = closed.poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(extra).as("an unexpected further onClose call").isNull();
        calls.forEach((handle, count) -> assertThat(count.get()).as("onClose calls for " + handle).isEqualTo(1));
    }

    /** How many connections onClose has been called for. */
    int connections() {
        return calls.size();
    }
}
