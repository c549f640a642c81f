/**
 * Accepting: the listen sockets ({@link dev.glisten.internal.accept.Listeners}, with
 * {@code BindAddresses} and {@code UnixSocketFile}), the acceptors on them
 * ({@link dev.glisten.internal.accept.AcceptorPool}: platform threads, each an {@code Acceptor}
 * under a {@code Supervisor} that restarts it), and the limits on who gets in: the server's
 * connection limit, a slot of which an acceptor takes before it calls accept(2)
 * ({@link dev.glisten.internal.accept.ConnectionLimit}), and the per-address limit
 * ({@link dev.glisten.internal.accept.AddressLimit}).
 */
package dev.glisten.internal.accept;
