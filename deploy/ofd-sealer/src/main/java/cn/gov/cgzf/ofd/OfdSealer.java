package cn.gov.cgzf.ofd;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.ofdrw.converter.ofdconverter.PDFConverter;
import org.ofdrw.gm.ses.v4.SES_Signature;
import org.ofdrw.gm.ses.v4.SESeal;
import org.ofdrw.gm.ses.v4.TBS_Sign;
import org.ofdrw.reader.OFDReader;
import org.ofdrw.sign.OFDSigner;
import org.ofdrw.sign.SignMode;
import org.ofdrw.sign.signContainer.SESV4Container;
import org.ofdrw.sign.stamppos.NormalStampPos;
import org.ofdrw.sign.verify.OFDValidator;
import org.ofdrw.sign.verify.container.SESV4ValidateContainer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The OFD sealing sidecar: a PDF the cases service renders comes in, goes out as an OFD document
 * (GB/T 33190, converted by ofdrw) bearing an SM2 electronic seal in the structures of GB/T
 * 38540-2020 (SES_Signature v4 over the document's files, SM3 digests); and a sealed OFD comes in
 * to be checked. The seal is the {@link DevelopmentSeal}: this sidecar proves the OFD path end to
 * end in `make up` and the tests; production seals through the province's platform.
 *
 * <pre>
 * POST /v1/seal?page=&x=&y=&size=   body: the PDF  → 200 application/ofd; X-Signer, X-Signed-At
 *      (where the seal's picture goes: page from 1, the box's left and top in mm, its side in mm;
 *       by default the last page's lower right)
 * POST /v1/verify          body: an OFD       → 200 {"valid", "signer", "signed_at", "reason"}
 * GET  /healthz                               → 200 ok
 * </pre>
 */
public final class OfdSealer {
    static final int MAX_BYTES = 20 * 1024 * 1024;
    private final DevelopmentSeal seal;
    private final Path work;

    OfdSealer(DevelopmentSeal seal, Path work) {
        this.seal = seal;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        String host = env("OFD_SEALER_HOST", "127.0.0.1");
        int port = Integer.parseInt(env("OFD_SEALER_PORT", "8090"));
        Path data = Paths.get(env("OFD_SEALER_DATA", ".data/ofd-sealer"));
        String bureau = env("OFD_SEALER_BUREAU", "城市管理综合执法局");
        DevelopmentSeal seal = DevelopmentSeal.loadOrMake(data.resolve("seal"), bureau);
        Path work = Files.createDirectories(data.resolve("work"));
        OfdSealer sealer = new OfdSealer(seal, work);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
        server.createContext("/v1/seal", sealer::seal);
        server.createContext("/v1/verify", sealer::verify);
        server.createContext("/healthz", ex -> answer(ex, 200, "text/plain", "ok".getBytes(StandardCharsets.UTF_8)));
        server.setExecutor(Executors.newFixedThreadPool(Integer.parseInt(env("OFD_SEALER_THREADS", "2"))));
        server.start();
        System.out.println("ofd-sealer listening on " + host + ":" + port + " with seal " + seal.sealName);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private void seal(HttpExchange ex) throws IOException {
        Path dir = null;
        try {
            byte[] pdf = body(ex, "POST");
            if (pdf == null) {
                return;
            }
            if (pdf.length < 5 || !new String(pdf, 0, 5, StandardCharsets.US_ASCII).equals("%PDF-")) {
                problem(ex, 400, "the body is not a PDF (it must begin with %PDF-)");
                return;
            }
            dir = Files.createTempDirectory(work, "seal");
            Path src = dir.resolve("in.pdf"), plain = dir.resolve("plain.ofd"), sealed = dir.resolve("sealed.ofd");
            Files.write(src, pdf);
            try (PDFConverter converter = new PDFConverter(plain)) {
                converter.setEnableCopyAttachFiles(false);
                converter.convert(src);
            }
            try (OFDReader reader = new OFDReader(plain);
                 OFDSigner signer = new OFDSigner(reader, sealed)) {
                int pages = reader.getNumberOfPages();
                int page = Math.min(Math.max((int) number(ex, "page", pages), 1), pages);
                double size = number(ex, "size", 42);
                signer.setSignMode(SignMode.WholeProtected); // nothing may be added or changed after the seal
                signer.setSignContainer(new SESV4Container(seal.signerKey, seal.seal, seal.signerCert));
                signer.addApPos(new NormalStampPos(page, number(ex, "x", 140), number(ex, "y", 220), size, size));
                signer.exeSign();
            }
            byte[] out = Files.readAllBytes(sealed);
            Seen seen = inspect(out);
            ex.getResponseHeaders().add("X-Signer", URLEncoder.encode(seen.signer, StandardCharsets.UTF_8));
            ex.getResponseHeaders().add("X-Signed-At", seen.signedAt);
            answer(ex, 200, "application/ofd", out);
        } catch (NumberFormatException e) {
            problem(ex, 400, "page, x, y and size are numbers: " + e.getMessage());
        } catch (Exception e) {
            problem(ex, 500, "sealing failed: " + e);
        } finally {
            remove(dir);
        }
    }

    private void verify(HttpExchange ex) throws IOException {
        Path dir = null;
        try {
            byte[] ofd = body(ex, "POST");
            if (ofd == null) {
                return;
            }
            dir = Files.createTempDirectory(work, "verify");
            Path src = dir.resolve("doc.ofd");
            Files.write(src, ofd);
            Seen seen;
            try {
                seen = inspect(ofd);
            } catch (Exception e) {
                verdict(ex, false, null, null, "not a readable sealed OFD: " + e.getClass().getSimpleName());
                return;
            }
            try (OFDReader reader = new OFDReader(src);
                 OFDValidator validator = new OFDValidator(reader)) {
                validator.setValidator(new SESV4ValidateContainer());
                validator.exeValidate();
            } catch (Exception e) {
                verdict(ex, false, seen.signer, seen.signedAt, "the document was changed after it was sealed: " + e.getMessage());
                return;
            }
            if (!seal.vouchesFor(seen.seal, seen.signerCert)) {
                verdict(ex, false, seen.signer, seen.signedAt, "the seal is not this bureau's seal");
                return;
            }
            verdict(ex, true, seen.signer, seen.signedAt, null);
        } catch (Exception e) {
            problem(ex, 500, "verification failed: " + e);
        } finally {
            remove(dir);
        }
    }

    /** What the SignedValue.dat of a sealed OFD says: the seal, who signed and when. */
    record Seen(String signer, String signedAt, SESeal seal, byte[] signerCert) {
    }

    static Seen inspect(byte[] ofd) throws IOException {
        List<byte[]> values = new ArrayList<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(ofd))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (e.getName().endsWith("SignedValue.dat")) {
                    values.add(zip.readAllBytes());
                }
            }
        }
        if (values.size() != 1) {
            throw new IOException("expected one signature, found " + values.size());
        }
        SES_Signature sig = SES_Signature.getInstance(values.get(0));
        TBS_Sign tbs = sig.getToSign();
        SESeal sealOf = tbs.getEseal();
        String name = sealOf.geteSealInfo().getProperty().getName().getString();
        Instant at;
        try {
            at = tbs.getTimeInfo().getDate().toInstant();
        } catch (java.text.ParseException e) {
            throw new IOException("unreadable signing time", e);
        }
        ASN1OctetString cert = sig.getCert();
        return new Seen(name, at.toString(), sealOf, cert.getOctets());
    }

    private static byte[] body(HttpExchange ex, String method) throws IOException {
        if (!ex.getRequestMethod().equals(method)) {
            problem(ex, 405, "use " + method);
            return null;
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] data = in.readNBytes(MAX_BYTES + 1);
            if (data.length > MAX_BYTES) {
                problem(ex, 413, "a document is sealed or checked up to " + MAX_BYTES / (1024 * 1024) + " MB");
                return null;
            }
            if (data.length == 0) {
                problem(ex, 400, "send the document as the request body");
                return null;
            }
            return data;
        }
    }

    /** A number from the query string, or {@code fallback} when it is not there. */
    static double number(HttpExchange ex, String name, double fallback) {
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            for (String part : q.split("&")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).equals(name)) {
                    return Double.parseDouble(part.substring(eq + 1));
                }
            }
        }
        return fallback;
    }

    private static void verdict(HttpExchange ex, boolean valid, String signer, String at, String reason) throws IOException {
        String json = "{\"valid\":" + valid + ",\"signer\":" + str(signer) + ",\"signed_at\":" + str(at)
                + ",\"reason\":" + str(reason) + "}";
        answer(ex, 200, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static void problem(HttpExchange ex, int status, String detail) throws IOException {
        answer(ex, status, "application/json", ("{\"detail\":" + str(detail) + "}").getBytes(StandardCharsets.UTF_8));
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static void answer(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static void remove(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is removed with the work folder
        }
    }
}
