package dev.glisten.internal.io;

import dev.glisten.internal.accept.Listeners;
import dev.glisten.socket.SocketOptions;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * A server connection's socket: non-blocking, watched by a {@link SocketWatcher}. Its owner (the
 * connection's thread) reads without blocking and parks between {@link #startWaiting} and
 * {@link #stopWaiting}; any thread may write, waiting for room in the kernel's send buffer for at
 * most a timeout.
 *
 * <p>Read readiness follows a small state machine shared by the owner and the watcher:
 * <pre>
 *   BUSY ──owner waits──▶ WAITING ──watcher sees bytes──▶ BUSY (owner unparked)
 *   BUSY ──watcher sees bytes while the owner is busy──▶ MUTED (read interest off, so the
 *          level-triggered selector does not report the same bytes again and again)
 *   MUTED ──owner waits──▶ WAITING (read interest back on, watcher woken to apply it)
 * </pre>
 * Interest is changed before the state is published, and undone if the publication loses a race,
 * so a waiting owner always has read interest on.
 */
public final class WatchedSocket implements PeerChannel {

    private static final int BUSY = 0;
    private static final int WAITING = 1;
    private static final int MUTED = 2;
    private static final VarHandle READ_STATE;

    static {
        try {
            READ_STATE = MethodHandles.lookup().findVarHandle(WatchedSocket.class, "readState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SocketChannel channel;
    private final SocketWatcher watcher;
    private final SocketAddress localAddress;
    private final SocketAddress peerAddress;
    private volatile SelectionKey key;
    private volatile Thread owner;
    private volatile int readState = BUSY;
    private volatile Thread writeWaiter;
    private volatile boolean writable;
    // Set once by a thread that ends the connection without closing the socket itself.
    private volatile boolean abandoned;
    // Confined to the owner.
    private boolean lastReadFilled;
    // Bytes read past a PROXY protocol header (or read to learn there was none), handed out before
    // the socket's own; null when there are none, which is always once the first reads took them.
    private byte[] unread;
    private int unreadOffset;

    public WatchedSocket(SocketChannel channel, SocketWatcher watcher) throws IOException {
        this.channel = channel;
        this.watcher = watcher;
        this.localAddress = channel.getLocalAddress();
        this.peerAddress = channel.getRemoteAddress();
    }

    /** Called on the owner's thread: applies the options and starts watching. */
    public void start(SocketOptions options) throws IOException {
        owner = Thread.currentThread();
        Listeners.configureAccepted(channel, options);
        channel.configureBlocking(false);
        key = watcher.register(channel, this);
    }

    /**
     * Owner only: gives back {@code bytes[from..to)}, read ahead of their time, to be returned by
     * the next reads before anything from the socket.
     */
    public void unread(byte[] bytes, int from, int to) {
        if (from < to) {
            unread = Arrays.copyOfRange(bytes, from, to);
            unreadOffset = 0;
        }
    }

    /**
     * Owner only: reads what has arrived into {@code dst} without blocking, given-back bytes
     * first; returns the bytes read, 0 if none had arrived, -1 at the end of the stream. Also what
     * TLS decrypts from.
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (unread != null) {
            int length = Math.min(dst.remaining(), unread.length - unreadOffset);
            dst.put(unread, unreadOffset, length);
            unreadOffset += length;
            if (unreadOffset == unread.length) {
                unread = null;
            }
            // The owner reads again at once, as after a full read.
            lastReadFilled = true;
            return length;
        }
        int read = channel.read(dst);
        // A read that did not fill the buffer emptied the socket: the owner had better wait for
        // the watcher than make a read that would only fail with EAGAIN.
        lastReadFilled = !dst.hasRemaining();
        return read;
    }

    @Override
    public boolean mayHaveMore() {
        return lastReadFilled;
    }

    @Override
    public boolean startWaiting() {
        for (;;) {
            int state = readState;
            if (state == BUSY && READ_STATE.compareAndSet(this, BUSY, WAITING)) {
                return true;
            }
            if (state == MUTED && READ_STATE.compareAndSet(this, MUTED, WAITING)) {
                if (!setInterest(key, SelectionKey.OP_READ, true)) {
                    readState = BUSY;
                    return false;
                }
                watcher.wakeup();
                return true;
            }
            if (state == WAITING) {
                return true;
            }
        }
    }

    @Override
    public boolean stillWaiting() {
        return readState == WAITING && channel.isOpen();
    }

    @Override
    public void stopWaiting() {
        READ_STATE.compareAndSet(this, WAITING, BUSY);
    }

    /**
     * Owner only: parks until bytes may have arrived, {@code hasOtherWork} says there is other work
     * (a close), or {@code deadline} ({@link System#nanoTime()}; 0 for none) passes. For the waits
     * inside a step (a PROXY protocol header, a TLS handshake); the loop parks between steps.
     * Spurious returns are harmless: the next read finds nothing.
     *
     * @return {@code false} if the deadline passed
     */
    public boolean awaitReadable(BooleanSupplier hasOtherWork, long deadline) {
        if (!startWaiting()) {
            return true;
        }
        boolean inTime = true;
        while (stillWaiting() && !hasOtherWork.getAsBoolean()) {
            if (deadline == 0) {
                LockSupport.park(this);
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                inTime = false;
                break;
            }
            LockSupport.parkNanos(this, left);
        }
        stopWaiting();
        return inTime;
    }

    /** Wakes the owner, for example because a message or a close is waiting for it. */
    public void wakeOwner() {
        LockSupport.unpark(owner);
        LockSupport.unpark(writeWaiter);
    }

    /**
     * From any thread: makes every wait for room, now and later, end as if the socket were
     * closed, without closing it, so that the owner closes it on its own thread.
     */
    public void abandonWaits() {
        abandoned = true;
        LockSupport.unpark(writeWaiter);
    }

    @Override
    public boolean write(ByteBuffer single, ByteBuffer[] gathered, long timeoutNanos) throws IOException {
        return writeWhatFits(single, gathered) || writeWaiting(single, gathered, System.nanoTime() + timeoutNanos);
    }

    /**
     * Writes {@code buffer}, waiting for room in the kernel's send buffer until {@code deadline}
     * ({@link System#nanoTime()}): for a caller with one deadline over several writes.
     *
     * @return {@code false} if the deadline passed first (some bytes may have been written)
     */
    public boolean writeBefore(ByteBuffer buffer, long deadline) throws IOException {
        return writeWhatFits(buffer, null) || writeWaiting(buffer, null, deadline);
    }

    /** Writes what the kernel takes now; returns whether that was everything. */
    private boolean writeWhatFits(ByteBuffer single, ByteBuffer[] gathered) throws IOException {
        if (gathered == null) {
            channel.write(single);
            return !single.hasRemaining();
        }
        channel.write(gathered);
        return allWritten(gathered);
    }

    /** After a write the kernel did not take whole: waits for room and writes the rest. */
    private boolean writeWaiting(ByteBuffer single, ByteBuffer[] gathered, long deadline) throws IOException {
        do {
            if (!awaitWritable(deadline)) {
                return false;
            }
        } while (!writeWhatFits(single, gathered));
        return true;
    }

    /**
     * {@inheritDoc} On Linux the JDK's {@link FileChannel#transferTo} to a socket is sendfile(2):
     * the kernel copies from the page cache to the socket, and the bytes never enter the JVM. On a
     * non-blocking socket it takes what fits in the send buffer and returns 0 when none does.
     */
    @Override
    public boolean transferFrom(FileChannel file, long position, long count, long stallNanos, LongConsumer sent)
            throws IOException {
        long end = position + count;
        long deadline = System.nanoTime() + stallNanos;
        while (position < end) {
            long taken = file.transferTo(position, end - position, channel);
            if (taken > 0) {
                position += taken;
                sent.accept(taken);
                deadline = System.nanoTime() + stallNanos;
                continue;
            }
            // transferTo also returns 0 past the end of the file: a file cut short meanwhile.
            if (position >= file.size()) {
                throw new EOFException("the file ended at byte " + position + ", before byte " + end);
            }
            if (!awaitWritable(deadline)) {
                return false;
            }
        }
        return true;
    }

    private boolean awaitWritable(long deadline) throws IOException {
        writable = false;
        writeWaiter = Thread.currentThread();
        try {
            if (!setInterest(key, SelectionKey.OP_WRITE, true)) {
                throw new AsynchronousCloseException();
            }
            watcher.wakeup();
            while (!writable) {
                if (!channel.isOpen() || abandoned) {
                    throw new AsynchronousCloseException();
                }
                if (Thread.currentThread().isInterrupted()) {
                    // parkNanos returns at once while the flag is set: waiting on would spin.
                    throw new InterruptedIOException("interrupted while waiting for room to send");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
            return true;
        } finally {
            writeWaiter = null;
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /** Closes the socket; the watcher is woken so the kernel's descriptor is released at once. */
    @Override
    public void close() {
        SelectionKey registered = key;
        if (registered != null) {
            registered.cancel();
        }
        Descriptors.release(channel);
        // A registered channel's descriptor is closed when its selector next deregisters it.
        watcher.wakeup();
        // A sender waiting for room on another thread sees the close now, not at its timeout.
        LockSupport.unpark(writeWaiter);
    }

    /** Writes what the kernel takes now, without waiting: a best-effort goodbye before a close. */
    public void writeNow(ByteBuffer buffer) throws IOException {
        channel.write(buffer);
    }

    /** The connection's thread, which alone reads and waits. */
    public Thread owner() {
        return owner;
    }

    public SocketAddress localAddress() {
        return localAddress;
    }

    public SocketAddress peerAddress() {
        return peerAddress;
    }

    /** The watcher's callback for every ready key. */
    static void onReady(SelectionKey key) {
        WatchedSocket socket = (WatchedSocket) key.attachment();
        int ready;
        try {
            ready = key.readyOps();
        } catch (CancelledKeyException e) {
            return;
        }
        // The key given here, not the field: the watcher may report a new key before its owner,
        // still returning from register(), has stored it.
        if ((ready & SelectionKey.OP_WRITE) != 0) {
            socket.onWritable(key);
        }
        if ((ready & SelectionKey.OP_READ) != 0) {
            socket.onReadable(key);
        }
    }

    private void onWritable(SelectionKey key) {
        // Writable stays true until the buffer fills again: stop asking, or the selector would spin.
        setInterest(key, SelectionKey.OP_WRITE, false);
        writable = true;
        LockSupport.unpark(writeWaiter);
    }

    private void onReadable(SelectionKey key) {
        for (;;) {
            int state = readState;
            if (state == WAITING) {
                if (READ_STATE.compareAndSet(this, WAITING, BUSY)) {
                    LockSupport.unpark(owner);
                    return;
                }
            } else if (state == BUSY) {
                // The owner will read when its handler returns; until it waits, stop reporting.
                if (!setInterest(key, SelectionKey.OP_READ, false)) {
                    return;
                }
                if (READ_STATE.compareAndSet(this, BUSY, MUTED)) {
                    return;
                }
                // The owner started waiting meanwhile (with interest on): undo, then wake it.
                if (!setInterest(key, SelectionKey.OP_READ, true)) {
                    return;
                }
            } else {
                return; // MUTED: reported in the same pass that muted it
            }
        }
    }

    private static boolean setInterest(SelectionKey key, int operation, boolean on) {
        try {
            if (on) {
                key.interestOpsOr(operation);
            } else {
                key.interestOpsAnd(~operation);
            }
            return true;
        } catch (CancelledKeyException e) {
            return false;
        }
    }

    private static boolean allWritten(ByteBuffer[] buffers) {
        for (ByteBuffer buffer : buffers) {
            if (buffer.hasRemaining()) {
                return false;
            }
        }
        return true;
    }
}
