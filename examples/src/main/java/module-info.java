/**
 * Examples of glisten for Java. A module of its own so that javac lets them use only what
 * {@code dev.glisten} exports, like any application would.
 */
module dev.glisten.examples {
    requires dev.glisten;
}
