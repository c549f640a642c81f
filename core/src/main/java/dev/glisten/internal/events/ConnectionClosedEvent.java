package dev.glisten.internal.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A connection ended and its onClose ran. */
@Name("dev.glisten.ConnectionClosed")
@Label("Connection Closed")
@Category("glisten")
@Description("A connection ended and its onClose ran")
@StackTrace(false)
public final class ConnectionClosedEvent extends Event {

    @Label("Peer Address")
    public String peer;

    @Label("Reason")
    @Description("The kind of CloseReason, such as PeerClosed or IdleTimedOut")
    public String reason;

    @Label("Detail")
    @Description("What the reason carries: the text of stopAbnormal, the error's message, the timeout or the size")
    public String detail;

    @Label("Normal")
    @Description("Whether the reason is an orderly end (CloseReason.isNormal)")
    public boolean normal;

    @Label("Open For")
    @Timespan(Timespan.NANOSECONDS)
    public long openFor;

    @Label("Bytes Received")
    @DataAmount
    public long bytesReceived;

    @Label("Bytes Sent")
    @DataAmount
    public long bytesSent;
}
