/**
 * The JDK Flight Recorder events a server emits, under the category "glisten": connections opened
 * and closed, TLS handshakes, accept errors. Recorded only when a recording enables them, so they
 * cost nothing otherwise: {@code java -XX:StartFlightRecording:filename=rec.jfr ...}, then
 * {@code jfr print --events dev.glisten.ConnectionClosed rec.jfr}.
 */
package dev.glisten.internal.jfr;
