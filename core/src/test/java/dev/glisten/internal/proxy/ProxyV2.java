package dev.glisten.internal.proxy;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Builds PROXY protocol v2 headers for tests, byte by byte as the specification lays them out. */
public final class ProxyV2 {

    public static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private int versionCommand = 0x21;
    private int familyTransport = 0x11;
    private final ByteArrayOutputStream addresses = new ByteArrayOutputStream();
    private final ByteArrayOutputStream tlvs = new ByteArrayOutputStream();
    private boolean crc;

    public static ProxyV2 proxy(InetSocketAddress source, InetSocketAddress destination) {
        ProxyV2 header = new ProxyV2();
        boolean six = source.getAddress().getAddress().length == 16;
        header.familyTransport = six ? 0x21 : 0x11;
        header.addresses.writeBytes(source.getAddress().getAddress());
        header.addresses.writeBytes(destination.getAddress().getAddress());
        header.addresses.write(source.getPort() >> 8);
        header.addresses.write(source.getPort());
        header.addresses.write(destination.getPort() >> 8);
        header.addresses.write(destination.getPort());
        return header;
    }

    public static ProxyV2 local() {
        ProxyV2 header = new ProxyV2();
        header.versionCommand = 0x20;
        header.familyTransport = 0x00;
        return header;
    }

    public static ProxyV2 unix(String source, String destination) {
        ProxyV2 header = new ProxyV2();
        header.familyTransport = 0x31;
        header.addresses.writeBytes(path(source));
        header.addresses.writeBytes(path(destination));
        return header;
    }

    private static byte[] path(String path) {
        byte[] bytes = new byte[108];
        byte[] text = path.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(text, 0, bytes, 0, text.length);
        return bytes;
    }

    public ProxyV2 tlv(int type, byte[] value) {
        tlvs.write(type);
        tlvs.write(value.length >> 8);
        tlvs.write(value.length);
        tlvs.writeBytes(value);
        return this;
    }

    public ProxyV2 tlv(int type, String value) {
        return tlv(type, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a CRC32C TLV, computed when the header is built. */
    public ProxyV2 crc32c() {
        crc = true;
        return this;
    }

    public ProxyV2 versionCommand(int value) {
        versionCommand = value;
        return this;
    }

    public ProxyV2 familyTransport(int value) {
        familyTransport = value;
        return this;
    }

    public byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        out.write(versionCommand);
        out.write(familyTransport);
        int length = addresses.size() + tlvs.size() + (crc ? 7 : 0);
        out.write(length >> 8);
        out.write(length);
        out.writeBytes(addresses.toByteArray());
        out.writeBytes(tlvs.toByteArray());
        if (crc) {
            out.writeBytes(new byte[] {0x03, 0, 4, 0, 0, 0, 0});
        }
        byte[] bytes = out.toByteArray();
        if (crc) {
            CRC32C checksum = new CRC32C();
            checksum.update(bytes);
            long value = checksum.getValue();
            for (int i = 0; i < 4; i++) {
                bytes[bytes.length - 4 + i] = (byte) (value >> (24 - 8 * i));
            }
        }
        return bytes;
    }

    /** The value of a PP2_TYPE_SSL TLV: client bits, verify, then sub-TLVs. */
    public static byte[] ssl(int client, int verify, Object... subTypesAndValues) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(client);
        out.write(verify >> 24);
        out.write(verify >> 16);
        out.write(verify >> 8);
        out.write(verify);
        for (int i = 0; i < subTypesAndValues.length; i += 2) {
            byte[] value = ((String) subTypesAndValues[i + 1]).getBytes(StandardCharsets.UTF_8);
            out.write((Integer) subTypesAndValues[i]);
            out.write(value.length >> 8);
            out.write(value.length);
            out.writeBytes(value);
        }
        return out.toByteArray();
    }
}
