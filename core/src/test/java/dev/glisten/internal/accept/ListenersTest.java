package dev.glisten.internal.accept;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ListenersTest {

    @Test
    void printsIpv4AsIs() throws Exception {
        assertThat(Listeners.hostAndPort(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 80)))
                .isEqualTo("127.0.0.1:80");
    }

    @Test
    void printsIpv6InBracketsInItsShortForm() throws Exception {
        assertThat(hostAndPort("::1", 3000)).isEqualTo("[::1]:3000");
        assertThat(hostAndPort("::", 1)).isEqualTo("[::]:1");
        assertThat(hostAndPort("2001:db8:0:0:1:0:0:1", 5)).isEqualTo("[2001:db8::1:0:0:1]:5");
        assertThat(hostAndPort("2001:db8:0:1:1:1:1:1", 5)).isEqualTo("[2001:db8:0:1:1:1:1:1]:5");
        assertThat(hostAndPort("fe80:0:0:0:0:0:0:0", 5)).isEqualTo("[fe80::]:5");
        assertThat(hostAndPort("2001:DB8::ABCD", 5)).isEqualTo("[2001:db8::abcd]:5");
    }

    private static String hostAndPort(String ipv6, int port) throws Exception {
        return Listeners.hostAndPort(new InetSocketAddress(InetAddress.getByName("[" + ipv6 + "]"), port));
    }
}
