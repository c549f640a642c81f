package dev.glisten.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A connection was accepted and its thread started. */
@Name("dev.glisten.ConnectionOpened")
@Label("Connection Opened")
@Category("glisten")
@Description("A connection was accepted and its thread started")
@StackTrace(false)
public final class ConnectionOpenedEvent extends Event {

    @Label("Peer Address")
    public String peer;

    @Label("Local Address")
    public String local;
}
