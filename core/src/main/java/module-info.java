/**
 * glisten for Java: TCP servers in which every connection is a lightweight process with its own
 * state. Start with {@link dev.glisten.Server}; {@link dev.glisten.socket} is the low-level
 * listen/accept/receive/send layer.
 */
module dev.glisten {
    requires jdk.jfr;

    exports dev.glisten;
    exports dev.glisten.socket;
    // TestConnection: a handler run without sockets, over the server's own connection loop. In
    // the core because that loop is internal, and a qualified export would not reach a test kit
    // on the class path (where Maven puts test dependencies of a modular project).
    exports dev.glisten.testing;
}
