/**
 * Testing glisten handlers through real sockets: {@link dev.glisten.testkit.RunningServer} starts
 * a server on a free loopback port and connects {@link dev.glisten.testkit.TestClient}s whose
 * every read has a timeout; {@link dev.glisten.testkit.RunningServerExtension} stops them after
 * each JUnit 5 test. To run a handler without sockets, on a virtual clock, use
 * {@link dev.glisten.testing.TestConnection} from the core.
 */
package dev.glisten.testkit;
