package dev.glisten.reliability;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.Test;

class ConversationTest {

    @Test
    void anEchoIsReadWholeAndCheckedByteForByte() throws Exception {
        byte[] sent = "hello".getBytes(US_ASCII);

        Conversation.readExactly(new ByteArrayInputStream(sent), sent, 0, sent.length, "echo");

        assertThatThrownBy(() -> Conversation.readExactly(new ByteArrayInputStream("help".getBytes(US_ASCII)), sent, 0,
                4, "echo")).isInstanceOf(Conversation.Corrupt.class).hasMessageContaining("byte 3");
        assertThatThrownBy(() -> Conversation.readExactly(new ByteArrayInputStream("hel".getBytes(US_ASCII)), sent, 0,
                5, "echo")).isInstanceOf(Conversation.Cut.class).hasMessageContaining("after 3 of 5 bytes");
    }

    @Test
    void anHttpResponseIsReadByItsContentLengthAfterAnInterimOne() throws Exception {
        String wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

        HttpConversation.Response response = HttpConversation.read(new ByteArrayInputStream(wire.getBytes(US_ASCII)));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello".getBytes(US_ASCII));
        assertThat(response.closes()).isTrue();
        assertThatThrownBy(() -> HttpConversation.read(new ByteArrayInputStream(
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello".getBytes(US_ASCII))))
                .isInstanceOf(Conversation.Cut.class);
        assertThatThrownBy(() -> HttpConversation.read(new ByteArrayInputStream("SSH-2.0\r\n\r\n".getBytes(US_ASCII))))
                .isInstanceOf(Conversation.Corrupt.class);
    }
}
