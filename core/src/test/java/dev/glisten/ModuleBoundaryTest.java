package dev.glisten;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The published module exports the API packages and nothing else, and needs only java.base. */
class ModuleBoundaryTest {

    /** The descriptor as compiled into the jar, not as the test run patched it. */
    private static ModuleDescriptor compiledDescriptor() {
        ModuleReference module = ModuleFinder.of(Path.of("target/classes")).find("dev.glisten")
                .orElseThrow(() -> new AssertionError("no module dev.glisten in target/classes"));
        return module.descriptor();
    }

    @Test
    void exportsExactlyTheApiPackages() {
        ModuleDescriptor descriptor = compiledDescriptor();
        assertThat(descriptor.exports()).allSatisfy(export ->
                assertThat(export.isQualified()).as(export + " is exported to everyone or not at all").isFalse());
        assertThat(descriptor.exports().stream().map(ModuleDescriptor.Exports::source))
                .containsExactlyInAnyOrder("dev.glisten", "dev.glisten.socket", "dev.glisten.testing");
        assertThat(descriptor.opens()).isEmpty();
        assertThat(descriptor.isOpen()).isFalse();
        assertThat(descriptor.packages()).contains("dev.glisten.internal");
    }

    @Test
    void requiresNothingButTheJdk() {
        Set<String> required = compiledDescriptor().requires().stream()
                .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
        // jdk.jfr for the Flight Recorder events; both are in every full JDK.
        assertThat(required).containsExactlyInAnyOrder("java.base", "jdk.jfr");
        assertThat(compiledDescriptor().uses()).isEmpty();
        assertThat(compiledDescriptor().provides()).isEmpty();
    }

    @Test
    void theRunningModuleIsTheSame() {
        // On the module path the classes under test are that module; on the class path (an IDE run)
        // they are unnamed and the compiled descriptor above is all there is to check.
        Module module = Server.class.getModule();
        if (module.isNamed()) {
            assertThat(module.getName()).isEqualTo("dev.glisten");
            assertThat(module.isExported("dev.glisten")).isTrue();
            assertThat(module.isExported("dev.glisten.socket")).isTrue();
            assertThat(module.isExported("dev.glisten.internal")).isFalse();
        }
    }
}
