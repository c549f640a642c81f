/**
 * glisten for Java: TCP servers in which every connection is a lightweight process with its own
 * state. Start with {@link dev.glisten.Server}; {@link dev.glisten.socket} is the low-level
 * listen/accept/receive/send layer.
 */
module dev.glisten {
    requires jdk.jfr;

    exports dev.glisten;
    exports dev.glisten.socket;
    // The test kit's TestConnection runs the server's own connection loop over memory and a
    // virtual clock, so the loop's rules are written once; no other module sees this package.
    exports dev.glisten.internal.loop to dev.glisten.testkit;
}
