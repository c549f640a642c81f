package dev.glisten.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A TLS handshake ended, well or not; its duration is the handshake's. */
@Name("dev.glisten.TlsHandshake")
@Label("TLS Handshake")
@Category("glisten")
@Description("A server-side TLS handshake, from its start to its end")
@StackTrace(false)
public final class TlsHandshakeEvent extends Event {

    @Label("Peer Address")
    public String peer;

    @Label("Succeeded")
    public boolean succeeded;

    @Label("Protocol")
    public String protocol;

    @Label("Cipher Suite")
    public String cipherSuite;

    @Label("Failure")
    @Description("Why it failed; empty when it succeeded")
    public String failure;
}
