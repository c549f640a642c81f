/**
 * A connection's loop, the rules written once: {@link ConnectionLoop} (what is delivered in which
 * order, when a close takes effect, the timeouts), its bounded {@link Mailbox}, the framing of what
 * arrives ({@link Inbound}) and the packets it lends ({@link RealPacket}). It knows nothing of
 * sockets or threads: it reads through a {@link PeerInput} and asks its host for the clock.
 *
 * <p>{@link dev.glisten.testing.TestConnection} runs the same loop over memory and a virtual clock,
 * so the contract suite guards one set of rules.
 */
package dev.glisten.internal.loop;
