package dev.glisten.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A message was sent to a connection whose mailbox was full. */
@Name("dev.glisten.MailboxOverflow")
@Label("Mailbox Overflow")
@Category("glisten")
@Description("A message was sent to a connection whose mailbox was full: the connection was closed or the message refused")
@StackTrace(false)
public final class MailboxOverflowEvent extends Event {

    @Label("Peer Address")
    public String peer;

    @Label("Capacity")
    @Description("The mailbox's bound, in messages")
    public int capacity;

    @Label("Policy")
    @Description("CLOSE (the connection was closed) or REFUSE (the message was dropped)")
    public String policy;
}
