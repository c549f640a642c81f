package dev.glisten.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The module exports its one package and reads glisten and Micrometer, nothing else. */
class ModuleBoundaryTest {

    /** The descriptor as compiled into the jar, not as the test run patched it. */
    private static ModuleDescriptor compiledDescriptor() {
        return ModuleFinder.of(Path.of("target/classes")).find("dev.glisten.micrometer")
                .orElseThrow(() -> new AssertionError("no module dev.glisten.micrometer in target/classes"))
                .descriptor();
    }

    @Test
    void exportsExactlyItsPackage() {
        ModuleDescriptor descriptor = compiledDescriptor();
        assertThat(descriptor.exports().stream().map(ModuleDescriptor.Exports::source))
                .containsExactly("dev.glisten.micrometer");
        assertThat(descriptor.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
        assertThat(descriptor.opens()).isEmpty();
        assertThat(descriptor.isOpen()).isFalse();
    }

    @Test
    void requiresGlistenAndMicrometerCore() {
        assertThat(compiledDescriptor().requires().stream().map(ModuleDescriptor.Requires::name)
                .collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("java.base", "dev.glisten", "micrometer.core");
    }

    @Test
    void theRunningModuleIsTheSame() {
        // On the module path the classes under test are that module; on the class path (an IDE run)
        // they are unnamed and the compiled descriptor above is all there is to check.
        Module module = GlistenMetrics.class.getModule();
        if (module.isNamed()) {
            assertThat(module.getName()).isEqualTo("dev.glisten.micrometer");
            assertThat(module.isExported("dev.glisten.micrometer")).isTrue();
        }
    }
}
