package cn.gov.cgzf.ofd;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.gm.GMObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.ofdrw.gm.ses.v1.SES_ESPictrueInfo;
import org.ofdrw.gm.ses.v1.SES_Header;
import org.ofdrw.gm.ses.v4.SES_CertList;
import org.ofdrw.gm.ses.v4.SES_ESPropertyInfo;
import org.ofdrw.gm.ses.v4.SES_SealInfo;
import org.ofdrw.gm.ses.v4.SESeal;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Date;
import java.util.UUID;

/**
 * The development seal: an SM2 seal maker (制章者) of our own making, the bureau's signing key and
 * certificate issued by it, and the electronic seal (印章, GB/T 38540-2020 SESeal v4) that binds the
 * two with the seal's picture. Made once in the sidecar's data directory and kept there, so that a
 * document sealed before a restart still verifies after it. Every name in it says it is for
 * development and has no legal force: a bureau's real seal comes from the national unified
 * electronic seal system (国务院令第716号 art. 9), never from here.
 */
final class DevelopmentSeal {
    static final String DEVELOPMENT = "开发用电子印章, 不具有法律效力";
    static final BouncyCastleProvider BC = new BouncyCastleProvider();

    final PrivateKey signerKey;
    final X509Certificate signerCert;
    final X509Certificate makerCert;
    final SESeal seal;
    final String sealName;

    private DevelopmentSeal(PrivateKey signerKey, X509Certificate signerCert, X509Certificate makerCert, SESeal seal) {
        this.signerKey = signerKey;
        this.signerCert = signerCert;
        this.makerCert = makerCert;
        this.seal = seal;
        this.sealName = seal.geteSealInfo().getProperty().getName().getString();
    }

    /** The seal kept in {@code dir}, made there first if there is none. */
    static DevelopmentSeal loadOrMake(Path dir, String bureau) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path key = dir.resolve("signer.key"), cert = dir.resolve("signer.crt"), maker = dir.resolve("maker.crt"),
                esl = dir.resolve("seal.esl");
        if (!Files.exists(esl)) {
            make(dir, bureau);
        }
        PrivateKey signerKey = KeyFactory.getInstance("EC", BC)
                .generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(key)));
        return new DevelopmentSeal(signerKey, certificate(Files.readAllBytes(cert)),
                certificate(Files.readAllBytes(maker)), SESeal.getInstance(Files.readAllBytes(esl)));
    }

    static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509", BC)
                .generateCertificate(new ByteArrayInputStream(der));
    }

    private static KeyPair sm2() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
        g.initialize(new ECGenParameterSpec("sm2p256v1"), new SecureRandom());
        return g.generateKeyPair();
    }

    private static X500Name name(String common) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, common).addRDN(BCStyle.O, DEVELOPMENT).build();
    }

    private static X509Certificate issue(X500Name subject, PublicKey key, X500Name issuer, PrivateKey issuerKey, boolean ca)
            throws GeneralSecurityException, IOException {
        Date from = new Date(System.currentTimeMillis() - 86_400_000L);
        Date until = new Date(System.currentTimeMillis() + 3650L * 86_400_000L);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                new BigInteger(64, new SecureRandom()), from, until, subject, key);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        b.addExtension(Extension.keyUsage, true, ca
                ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.digitalSignature)
                : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        try {
            return new JcaX509CertificateConverter().setProvider(BC)
                    .getCertificate(b.build(new JcaContentSignerBuilder("SM3WITHSM2").setProvider(BC).build(issuerKey)));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static void make(Path dir, String bureau) throws IOException, GeneralSecurityException {
        KeyPair maker = sm2(), signer = sm2();
        X500Name makerName = name(bureau + " 制章者 (" + DEVELOPMENT + ")");
        X500Name signerName = name(bureau + " (" + DEVELOPMENT + ")");
        X509Certificate makerCert = issue(makerName, maker.getPublic(), makerName, maker.getPrivate(), true);
        X509Certificate signerCert = issue(signerName, signer.getPublic(), makerName, maker.getPrivate(), false);

        ASN1EncodableVector certs = new ASN1EncodableVector(1);
        certs.add(new DEROctetString(signerCert.getEncoded()));
        Date now = new Date();
        SES_ESPropertyInfo property = new SES_ESPropertyInfo()
                .setType(new ASN1Integer(1)) // 1: 单位印章
                .setName(new DERUTF8String(bureau + " (" + DEVELOPMENT + ")"))
                .setCertListType(SES_ESPropertyInfo.CertListType)
                .setCertList(SES_CertList.getInstance(SES_ESPropertyInfo.CertListType, new DERSequence(certs)))
                .setCreateDate(new ASN1GeneralizedTime(now))
                .setValidStart(new ASN1GeneralizedTime(now))
                .setValidEnd(new ASN1GeneralizedTime(new Date(now.getTime() + 3650L * 86_400_000L)));
        SES_ESPictrueInfo picture = new SES_ESPictrueInfo()
                .setType("PNG")
                .setData(picture(bureau))
                .setWidth(42)
                .setHeight(42);
        SES_SealInfo info = new SES_SealInfo()
                .setHeader(new SES_Header(SES_Header.V4, new DERIA5String("CGZF-DEV")))
                .setEsID(new DERIA5String(UUID.randomUUID().toString().replace("-", "")))
                .setProperty(property)
                .setPicture(picture);
        Signature sg = Signature.getInstance("SM3WithSM2", BC);
        sg.initSign(maker.getPrivate());
        sg.update(info.getEncoded("DER"));
        SESeal seal = new SESeal()
                .seteSealInfo(info)
                .setCert(makerCert)
                .setSignAlgID(GMObjectIdentifiers.sm2sign_with_sm3)
                .setSignedValue(sg.sign());

        Files.write(dir.resolve("signer.key"), signer.getPrivate().getEncoded());
        Files.write(dir.resolve("signer.crt"), signerCert.getEncoded());
        Files.write(dir.resolve("maker.crt"), makerCert.getEncoded());
        Files.write(dir.resolve("seal.esl.tmp"), seal.getEncoded("DER"));
        Files.move(dir.resolve("seal.esl.tmp"), dir.resolve("seal.esl")); // last: its presence means "made"
    }

    /** The seal's picture: a red ring with the bureau's name and the words 开发用 in its middle. */
    private static byte[] picture(String bureau) throws IOException {
        int size = 420;
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        Color red = new Color(0xD0, 0x10, 0x10);
        g.setColor(red);
        g.setStroke(new BasicStroke(14));
        g.drawOval(12, 12, size - 24, size - 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 64));
        String mid = "开发用";
        g.drawString(mid, (size - g.getFontMetrics().stringWidth(mid)) / 2, size / 2 + 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 24));
        String name = bureau.length() > 14 ? bureau.substring(bureau.length() - 14) : bureau;
        g.drawString(name, (size - g.getFontMetrics().stringWidth(name)) / 2, size / 2 - 70);
        String note = "不具有法律效力";
        g.drawString(note, (size - g.getFontMetrics().stringWidth(note)) / 2, size / 2 + 110);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** Whether {@code seal} is this seal, made by this maker, and {@code signer} one of its certificates. */
    boolean vouchesFor(SESeal other, byte[] signerDer) throws GeneralSecurityException, IOException {
        ASN1OctetString otherMaker = other.getCert();
        if (otherMaker == null || !Arrays.equals(otherMaker.getOctets(), makerCert.getEncoded())) {
            return false;
        }
        Signature sg = Signature.getInstance(other.getSignAlgID().getId(), BC);
        sg.initVerify(makerCert.getPublicKey());
        sg.update(other.geteSealInfo().getEncoded("DER"));
        if (!sg.verify(other.getSignedValue().getOctets())) {
            return false;
        }
        X509Certificate signer = certificate(signerDer);
        try {
            signer.verify(makerCert.getPublicKey(), BC);
        } catch (GeneralSecurityException e) {
            return false;
        }
        for (ASN1OctetString entry : other.geteSealInfo().getProperty().getCertList().getCerts()) {
            if (Arrays.equals(entry.getOctets(), signerDer)) {
                return true;
            }
        }
        return false;
    }
}
