/**
 * What a server records about itself: the totals behind {@link dev.glisten.ServerStats}
 * ({@link dev.glisten.internal.events.ServerCounters}), and the JDK Flight Recorder events it emits
 * ({@link dev.glisten.internal.events.ServerEvents}) under the category "glisten": connections
 * opened and closed, TLS handshakes, mailbox overflows, accept errors. The events are recorded only
 * when a recording enables them, so they cost nothing otherwise:
 * {@code java -XX:StartFlightRecording:filename=rec.jfr ...}, then
 * {@code jfr print --events dev.glisten.ConnectionClosed rec.jfr}.
 */
package dev.glisten.internal.events;
