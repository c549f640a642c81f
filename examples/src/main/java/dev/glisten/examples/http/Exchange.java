package dev.glisten.examples.http;

import dev.glisten.Connection;
import dev.glisten.Framing;
import dev.glisten.Message;
import dev.glisten.Next;
import dev.glisten.examples.http.ResponseWriter.Persistence;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One connection's exchange of requests and responses, the state of {@link HttpServer}'s loop:
 * reads a request's head line by line, then its body as one fixed-length frame, answers it, and
 * starts over on the same connection. Requests are answered one at a time in the loop, so
 * pipelined requests are answered in the order they came.
 *
 * <p>The framing follows the request: {@link RequestLines} for the head, then
 * {@link Framing#fixed(int)} for a body of known length, then back; bytes the client already sent
 * beyond the body (the next pipelined request) stay buffered and are framed as lines again.
 */
final class Exchange {

    private final RequestHead head = new RequestHead();
    private final ResponseWriter writer = new ResponseWriter();
    private boolean readingBody;
    // A graceful shutdown came during a request: it is answered, with Connection: close, and the loop stops.
    private boolean closeAfterResponse;

    /** What a packet means here: the next line of the head, or the body. */
    Next<Exchange> received(Message.Packet<Void> packet, Connection<Void> connection) throws IOException {
        ByteBuffer bytes = packet.buffer();
        if (readingBody) {
            readingBody = false;
            connection.framing(RequestLines.FRAMING);
            return respond(bytes, connection);
        }
        if (RequestLines.tooLong(bytes.remaining())) {
            return refuse(head.started() ? Status.HEADER_FIELDS_TOO_LARGE : Status.BAD_REQUEST, connection);
        }
        if (!head.started()) {
            // RFC 9112 section 2.2: a stray CRLF before a request line is ignored (old clients add
            // one after a POST body).
            return RequestHead.isEmpty(bytes) ? Next.continueWith(this) : goOn(head.requestLine(bytes), connection);
        }
        if (!RequestHead.isEmpty(bytes)) {
            return goOn(head.field(bytes), connection);
        }
        Status refused = head.complete();
        if (refused != null) {
            return refuse(refused, connection);
        }
        long length = head.contentLength();
        if (length == 0) {
            return respond(null, connection);
        }
        if (head.expectsContinue()) {
            writer.continueInterim(connection);
        }
        // At most HttpServer.LONGEST_BODY, which RequestHead.complete() checked, and the server's maximum frame size.
        connection.framing(Framing.fixed((int) length));
        readingBody = true;
        return Next.continueWith(this);
    }

    /**
     * A graceful shutdown: between requests the connection ends now; in the middle of one, once it
     * is answered.
     *
     * @return whether the loop stops now
     */
    boolean shutDown() {
        if (!head.started() && !readingBody) {
            return true;
        }
        closeAfterResponse = true;
        return false;
    }

    private Next<Exchange> respond(ByteBuffer body, Connection<Void> connection) throws IOException {
        boolean keepAlive = head.keepAlive() && !closeAfterResponse;
        Persistence persistence = !keepAlive ? Persistence.CLOSE
                : head.http10() ? Persistence.KEEP_ALIVE_HTTP10 : Persistence.KEEP_ALIVE;
        switch (head.method()) {
            case GET, HEAD -> writer.greeting(connection, persistence, head.method() == RequestHead.Method.HEAD);
            case POST -> {
                if (head.echoTarget()) {
                    writer.echo(connection, persistence, body);
                } else {
                    writer.methodNotAllowed(connection, persistence, false);
                }
            }
            case OTHER -> writer.methodNotAllowed(connection, persistence, head.echoTarget());
        }
        head.reset();
        return keepAlive ? Next.continueWith(this) : Next.stop();
    }

    private Next<Exchange> goOn(Status refused, Connection<Void> connection) throws IOException {
        return refused == null ? Next.continueWith(this) : refuse(refused, connection);
    }

    /**
     * Answers a request that cannot be served and ends the connection: after a malformed or
     * refused head, where the next request would begin is unknown.
     */
    private Next<Exchange> refuse(Status status, Connection<Void> connection) throws IOException {
        writer.error(connection, status);
        return Next.stopAbnormal("answered " + status.code() + " " + status);
    }
}
