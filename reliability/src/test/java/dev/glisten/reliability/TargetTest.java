package dev.glisten.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetTest {

    private static final Certificate CERTIFICATE = new Certificate(Path.of("cert.pem"), Path.of("key.pem"));

    @Test
    void scenariosOfExamplesTheJarLacksAreLeftOut() {
        List<String> without = Target.all(CERTIFICATE, List.of("echo", "chat", "http", "lowlevel")).stream()
                .map(Target::name).toList();
        List<String> with = Target.all(CERTIFICATE, List.of("echo", "chat", "http", "proxy", "lowlevel")).stream()
                .map(Target::name).toList();

        assertThat(without).containsExactly("echo", "echo-tls", "echo-proxy-header", "echo-framed", "chat", "http");
        assertThat(with).endsWith("proxy");
    }

    @Test
    void everyCheckedAbuseHasAServerThatOwesTheAnswer() {
        for (Target target : Target.all(CERTIFICATE, List.of("echo", "chat", "http", "proxy"))) {
            for (Abuse abuse : target.abuses()) {
                switch (abuse) {
                    case TLS_GARBAGE, TLS_STALL -> assertThat(target.security()).isEqualTo(Target.Security.TLS);
                    case PROXY_GARBAGE, PROXY_LATE -> assertThat(target.security())
                            .isEqualTo(Target.Security.PROXY_HEADER);
                    case OVERSIZED_FRAME -> assertThat(target.wire()).isEqualTo(Wire.FRAMED);
                    case NEVER_READS -> assertThat(target.wire()).isEqualTo(Wire.CHAT);
                    case HTTP_GARBAGE, HTTP_OVERSIZED -> assertThat(target.wire()).isEqualTo(Wire.HTTP);
                    default -> assertThat(abuse.checked()).isFalse();
                }
            }
        }
    }

    @Test
    void theQuickPlanIsAboutAMinuteOfLoad() {
        Plan quick = Plan.QUICK;
        long seconds = quick.warmUp().plus(quick.clean()).plus(quick.soak()).plus(quick.fuzzBudget().multipliedBy(2))
                .plus(quick.httpFuzz()).toSeconds();
        assertThat(seconds).isLessThanOrEqualTo(60);
        assertThat(Plan.FULL.soak()).isGreaterThan(quick.soak().multipliedBy(10));
    }
}
