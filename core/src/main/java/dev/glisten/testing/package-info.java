/**
 * Testing a handler without sockets: {@link dev.glisten.testing.TestConnection} runs
 * {@code onInit}, the loop and {@code onClose} on the test's thread, on a virtual clock, with the
 * server's own connection loop (the same delivery order, framing, mailbox bound and close rules,
 * written once in the core), the way Netty's {@code EmbeddedChannel} ships beside its channels.
 * It lives in the core jar, which has no dependencies, because it runs the core's internal loop;
 * tests through real sockets are in {@code dev.glisten:glisten-testkit} ({@code RunningServer},
 * {@code TestClient}, the JUnit 5 extension).
 */
package dev.glisten.testing;
