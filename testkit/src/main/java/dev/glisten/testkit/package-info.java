/**
 * Testing glisten handlers. {@link dev.glisten.testkit.TestConnection} runs a handler without
 * sockets, synchronously on the test's thread and on a virtual clock, under the server's own rules
 * (a contract suite runs the same scenarios against it and a real server). For tests through real
 * sockets, {@link dev.glisten.testkit.RunningServer} starts a server on a free loopback port and
 * connects {@link dev.glisten.testkit.TestClient}s whose every read has a timeout;
 * {@link dev.glisten.testkit.RunningServerExtension} stops them after each JUnit 5 test.
 */
package dev.glisten.testkit;
