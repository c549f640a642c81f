package dev.glisten.internal.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny public key infrastructure made by openssl in a test's temporary directory, on demand: a
 * root CA (RSA), an intermediate CA (EC P-256) it signs, and keys of every format with leaf
 * certificates the intermediate signs. Certificates are valid for two days, for 127.0.0.1 and
 * localhost, for both server and client authentication.
 */
public final class TestPki {

    public static final String PASSWORD = "correct horse battery";

    /** The key formats openssl writes, each with how to make it. */
    public enum KeyKind {
        RSA_PKCS1("RSA", null, List.of("genrsa", "-traditional", "-out", "%s", "2048")),
        RSA_PKCS8("RSA", null, List.of("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "%s")),
        RSA_PSS("RSASSA-PSS", null, List.of("genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "%s")),
        // Without -noout, openssl writes an EC PARAMETERS block before the EC PRIVATE KEY.
        EC_P256_SEC1_WITH_PARAMETERS("EC", null, List.of("ecparam", "-name", "prime256v1", "-genkey", "-out", "%s")),
        EC_P384_SEC1("EC", null, List.of("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "%s")),
        EC_P521_PKCS8("EC", null, List.of("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", "%s")),
        ED25519("EdDSA", null, List.of("genpkey", "-algorithm", "ED25519", "-out", "%s")),
        ED448("EdDSA", null, List.of("genpkey", "-algorithm", "ED448", "-out", "%s")),
        // openssl 3's documented conversion, defaults PBKDF2 with HMAC-SHA256 (2048 rounds) and AES-256-CBC.
        RSA_ENCRYPTED_PKCS8("RSA", PASSWORD,
                List.of("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "%s.plain"),
                List.of("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "%s.plain", "-passout", "pass:" + PASSWORD, "-out", "%s")),
        EC_ENCRYPTED_GENPKEY("EC", PASSWORD, List.of("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-aes-256-cbc", "-pass", "pass:" + PASSWORD, "-out", "%s")),
        ED25519_ENCRYPTED_AES128_SHA512("EdDSA", PASSWORD,
                List.of("genpkey", "-algorithm", "ED25519", "-out", "%s.plain"),
                List.of("pkcs8", "-topk8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA512", "-iter", "1000",
                        "-in", "%s.plain", "-passout", "pass:" + PASSWORD, "-out", "%s"));

        public final String algorithm;
        public final String password;
        private final List<List<String>> commands;

        KeyKind(String algorithm, String password, List<String> command) {
            this.algorithm = algorithm;
            this.password = password;
            this.commands = List.of(command);
        }

        /** A key made in two steps: a plain key, then its encryption. */
        KeyKind(String algorithm, String password, List<String> makePlain, List<String> encrypt) {
            this.algorithm = algorithm;
            this.password = password;
            this.commands = List.of(makePlain, encrypt);
        }

        public char[] passwordChars() {
            return password == null ? null : password.toCharArray();
        }

        String fileName() {
            return name().toLowerCase().replace('_', '-') + ".pem";
        }
    }

    private final Path dir;
    private final String caName;
    private final Map<KeyKind, Path> keys = new EnumMap<>(KeyKind.class);
    private final Map<KeyKind, Path> chains = new EnumMap<>(KeyKind.class);
    private Path config;
    private Path rootCertificate;
    private Path intermediateCertificate;
    private Path intermediateKey;
    private int serial = 1000;

    public TestPki(Path dir) {
        this(dir, "glisten test");
    }

    /**
     * A PKI whose CAs are called {@code caName + " root CA"} and {@code caName + " intermediate CA"}:
     * a second PKI with another name is a CA the first one's clients and servers do not trust, and
     * whose names do not collide with the first one's.
     */
    public TestPki(Path dir, String caName) {
        Openssl.assumeInstalled();
        this.dir = dir;
        this.caName = caName;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The root CA's certificate: what clients trust. */
    public Path rootCertificate() {
        ensureCas();
        return rootCertificate;
    }

    public Path intermediateCertificate() {
        ensureCas();
        return intermediateCertificate;
    }

    /** A key of {@code kind}, made on first use. */
    public Path key(KeyKind kind) {
        return keys.computeIfAbsent(kind, k -> make(k, k.fileName()));
    }

    /** A chain file for {@code kind}'s key: its leaf certificate, then the intermediate. */
    public Path chain(KeyKind kind) {
        return chains.computeIfAbsent(kind, k -> {
            Path leaf = issue(key(k), k.password, "leaf-" + k.name().toLowerCase());
            return concat("chain-" + k.name().toLowerCase() + ".pem", leaf, intermediateCertificate());
        });
    }

    /** A new key of {@code kind} (not the cached one) and its chain, for a second identity. */
    public Path[] otherKeyAndChain(KeyKind kind, String name) {
        Path file = make(kind, name + "-" + kind.fileName());
        Path leaf = issue(file, kind.password, "leaf-" + name);
        return new Path[] {file, concat("chain-" + name + ".pem", leaf, intermediateCertificate())};
    }

    /** A new key of {@code kind} (not the cached one), in {@code name-<kind>.pem}. */
    public Path newKey(KeyKind kind, String name) {
        return make(kind, name + "-" + kind.fileName());
    }

    /**
     * A chain file (leaf, then the intermediate) for {@code key}, with subject {@code CN=name} and
     * the subject alternative names {@code dnsNames} (not 127.0.0.1 or localhost), for a server
     * that answers for those names (SNI).
     *
     * @param password the key's password, or {@code null}
     */
    public Path chainFor(Path key, String password, String name, String... dnsNames) {
        ensureCas();
        StringBuilder names = new StringBuilder();
        for (String dns : dnsNames) {
            names.append(names.isEmpty() ? "" : ", ").append("DNS:").append(dns);
        }
        Path extensions = write("ext-" + name + ".cnf", """
                [ named ]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth, clientAuth
                subjectAltName = %s
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid
                """.formatted(names));
        Path leaf = sign(key, password, name, extensions, "named");
        return concat("chain-" + name + ".pem", leaf, intermediateCertificate);
    }

    private Path make(KeyKind kind, String fileName) {
        for (List<String> command : kind.commands) {
            openssl(command.stream().map(arg -> arg.replace("%s", fileName)).toArray(String[]::new));
        }
        return dir.resolve(fileName);
    }

    /**
     * A leaf certificate for {@code key}, signed by the intermediate CA.
     *
     * @param password the key's password, or {@code null}
     */
    public Path issue(Path key, String password, String name) {
        ensureCas();
        return sign(key, password, name, config, "leaf");
    }

    /** Has the intermediate CA sign a certificate for {@code key} with the extensions of {@code section}. */
    private Path sign(Path key, String password, String name, Path extensions, String section) {
        List<String> request = new ArrayList<>(List.of("req", "-new", "-key", key.toString(), "-subj", "/CN=" + name,
                "-config", config.toString(), "-out", name + ".csr"));
        if (password != null) {
            request.addAll(List.of("-passin", "pass:" + password));
        }
        openssl(request.toArray(String[]::new));
        openssl("x509", "-req", "-in", name + ".csr", "-CA", intermediateCertificate.toString(),
                "-CAkey", intermediateKey.toString(), "-set_serial", Integer.toString(serial++), "-days", "2", "-sha256",
                "-extfile", extensions.toString(), "-extensions", section, "-out", name + ".pem");
        return dir.resolve(name + ".pem");
    }

    /** A self-signed leaf certificate for {@code key}, which a client trusts directly. */
    public Path selfSigned(Path key, String name) {
        ensureCas();
        openssl("req", "-x509", "-new", "-key", key.toString(), "-subj", "/CN=" + name, "-days", "2", "-sha256",
                "-config", config.toString(), "-extensions", "leaf", "-out", name + ".pem");
        return dir.resolve(name + ".pem");
    }

    /** Writes the files one after the other into a new file. */
    public Path concat(String name, Path... parts) {
        try {
            StringBuilder text = new StringBuilder();
            for (Path part : parts) {
                text.append(Files.readString(part));
            }
            return Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path write(String name, String text) {
        try {
            return Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String openssl(String... args) {
        return Openssl.run(dir, args);
    }

    private void ensureCas() {
        if (rootCertificate != null) {
            return;
        }
        config = write("openssl.cnf", """
                [ req ]
                distinguished_name = dn
                prompt = no
                [ dn ]
                CN = %s
                [ ca ]
                basicConstraints = critical, CA:TRUE
                keyUsage = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid:always
                [ leaf ]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth, clientAuth
                subjectAltName = IP:127.0.0.1, DNS:localhost
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid
                """.formatted(caName));
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "root-key.pem");
        openssl("req", "-x509", "-new", "-key", "root-key.pem", "-subj", "/CN=" + caName + " root CA", "-days", "2",
                "-sha256", "-config", config.toString(), "-extensions", "ca", "-out", "root.pem");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "intermediate-key.pem");
        openssl("req", "-new", "-key", "intermediate-key.pem", "-subj", "/CN=" + caName + " intermediate CA",
                "-config", config.toString(), "-out", "intermediate.csr");
        openssl("x509", "-req", "-in", "intermediate.csr", "-CA", "root.pem", "-CAkey", "root-key.pem",
                "-set_serial", "2", "-days", "2", "-sha256", "-extfile", config.toString(), "-extensions", "ca",
                "-out", "intermediate.pem");
        rootCertificate = dir.resolve("root.pem");
        intermediateCertificate = dir.resolve("intermediate.pem");
        intermediateKey = dir.resolve("intermediate-key.pem");
    }
}
