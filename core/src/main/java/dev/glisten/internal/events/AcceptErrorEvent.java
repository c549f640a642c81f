package dev.glisten.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** accept(2) failed on a listen socket. */
@Name("dev.glisten.AcceptError")
@Label("Accept Error")
@Category("glisten")
@Description("Accepting a connection failed")
@StackTrace(false)
public final class AcceptErrorEvent extends Event {

    @Label("Listen Address")
    @Description("The address of the listen socket that failed to accept")
    public String listenAddress;

    @Label("Error")
    public String error;

    @Label("Out Of Resources")
    @Description("Out of file descriptors or memory: the acceptor backs off")
    public boolean exhaustion;
}
