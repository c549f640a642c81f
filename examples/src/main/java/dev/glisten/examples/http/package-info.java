/**
 * The {@code http} example: a small HTTP/1.1 server on glisten's framing. {@link
 * dev.glisten.examples.http.HttpServer} is the entry point and its description the tour; {@code
 * RequestLines} frames a request head, {@code RequestHead} parses it, {@code Exchange} is one
 * connection's state and flow, {@code ResponseWriter} writes the answers.
 */
package dev.glisten.examples.http;
