package dev.glisten.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MainTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "127.0.0.1, 127.0.0.1:4000",
        "0.0.0.0, 0.0.0.0:4000",
        "::1, [::1]:4000",
        "::, [::]:4000",
        "fe80:0:0:0:0:0:0:7, [fe80::7]:4000",
        "2001:db8:0:0:1:0:0:1, [2001:db8::1:0:0:1]:4000",
        "2001:db8:0:1:1:1:1:1, [2001:db8:0:1:1:1:1:1]:4000",
        "2001:db8:1:0:0:0:0:0, [2001:db8:1::]:4000",
        "2001:DB8:0:0:0:0:0:AB, [2001:db8::ab]:4000",
    })
    void printsHostAndPortTheShortestWay(String host, String expected) throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), 4000);

        assertThat(Main.hostAndPort(address)).isEqualTo(expected);
    }
}
