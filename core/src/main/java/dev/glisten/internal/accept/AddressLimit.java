package dev.glisten.internal.accept;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;

/** How many connections each client address has open, against a per-address limit. */
public final class AddressLimit {

    private final int limit;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    public AddressLimit(int limit) {
        this.limit = limit;
    }

    public boolean isUnlimited() {
        return limit == Integer.MAX_VALUE;
    }

    /** Counts a connection from {@code peer}; returns {@code false} (and counts nothing) at the limit. */
    public boolean tryOpen(SocketAddress peer) {
        if (isUnlimited() || !(peer instanceof InetSocketAddress inet)) {
            return true;
        }
        boolean[] admitted = {false};
        open.compute(inet.getAddress(), (address, count) -> {
            int now = count == null ? 0 : count;
            if (now >= limit) {
                return count;
            }
            admitted[0] = true;
            return now + 1;
        });
        return admitted[0];
    }

    /** Forgets a connection counted by {@link #tryOpen}. */
    public void closed(SocketAddress peer) {
        if (isUnlimited() || !(peer instanceof InetSocketAddress inet)) {
            return;
        }
        open.computeIfPresent(inet.getAddress(), (address, count) -> count <= 1 ? null : count - 1);
    }
}
