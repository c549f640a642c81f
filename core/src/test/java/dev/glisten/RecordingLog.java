package dev.glisten;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records what glisten logs through {@link System.Logger} under one logger name, at every level,
 * while it is open. The JDK routes {@code System.Logger} to java.util.logging; the test classes run
 * inside module dev.glisten, which does not read java.logging, so the handler is attached by core
 * reflection (which needs no read edge), as {@link TestSupport#threadNames()} does. Records are
 * written by the JDK's {@code XMLFormatter}, whose level names are not localized.
 */
final class RecordingLog implements AutoCloseable {

    /** One record: its java.util.logging level name (DEBUG is {@code FINE}) and its message. */
    record Entry(String level, String message) { }

    private static final Pattern RECORD = Pattern.compile(
            "<level>([A-Z]+)</level>.*?<message>(.*?)</message>", Pattern.DOTALL);

    private final Object logger;
    private final Object handler;
    private final Object previousLevel;
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream();

    private RecordingLog(String name) throws ReflectiveOperationException {
        Class<?> loggerType = Class.forName("java.util.logging.Logger");
        Class<?> levelType = Class.forName("java.util.logging.Level");
        Class<?> handlerType = Class.forName("java.util.logging.Handler");
        Class<?> formatterType = Class.forName("java.util.logging.Formatter");
        Object all = levelType.getField("ALL").get(null);
        // Held here: java.util.logging keeps only weak references to its loggers.
        logger = loggerType.getMethod("getLogger", String.class).invoke(null, name);
        previousLevel = loggerType.getMethod("getLevel").invoke(logger);
        Object formatter = Class.forName("java.util.logging.XMLFormatter").getConstructor().newInstance();
        handler = Class.forName("java.util.logging.StreamHandler")
                .getConstructor(OutputStream.class, formatterType).newInstance(sink, formatter);
        handlerType.getMethod("setLevel", levelType).invoke(handler, all);
        loggerType.getMethod("setLevel", levelType).invoke(logger, all);
        loggerType.getMethod("addHandler", handlerType).invoke(logger, handler);
    }

    /** Starts recording the logger {@code name} (and its children) at every level. */
    static RecordingLog of(String name) throws ReflectiveOperationException {
        return new RecordingLog(name);
    }

    /** Every record so far. */
    List<Entry> entries() throws ReflectiveOperationException {
        Class.forName("java.util.logging.Handler").getMethod("flush").invoke(handler);
        Matcher records = RECORD.matcher(sink.toString(StandardCharsets.UTF_8));
        return records.results().map(match -> new Entry(match.group(1), unescape(match.group(2)))).toList();
    }

    private static String unescape(String xml) {
        return xml.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    }

    @Override
    public void close() throws ReflectiveOperationException {
        Class<?> loggerType = Class.forName("java.util.logging.Logger");
        Class<?> levelType = Class.forName("java.util.logging.Level");
        loggerType.getMethod("removeHandler", Class.forName("java.util.logging.Handler")).invoke(logger, handler);
        loggerType.getMethod("setLevel", levelType).invoke(logger, previousLevel);
    }
}
