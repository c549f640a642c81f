/**
 * Micrometer metrics for glisten servers: {@link dev.glisten.micrometer.GlistenMetrics}. An optional
 * module, so that {@code dev.glisten} itself needs nothing beyond the JDK.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.glisten.micrometer {
    // Transitive: GlistenMetrics's constructors and bindTo take Server, Tag and MeterRegistry.
    requires transitive dev.glisten;
    // The Automatic-Module-Name in micrometer-core's manifest (the jar has no module-info); javac's
    // warning that an automatic module's name may change does not apply to a name declared so.
    requires transitive micrometer.core;

    exports dev.glisten.micrometer;
}
