package com.acme.imageedit.hostile;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import com.acme.imageedit.support.TestImages;

/**
 * Images a hostile client sends: headers declaring enormous dimensions over a tiny body (decompression bombs), files
 * whose magic bytes lie about what follows, and real images cut short. Each comes with why it must be refused.
 */
final class HostileImages {

    static final byte[] PNG = TestImages.png(32, 32);
    static final byte[] JPEG = TestImages.jpeg(32, 32);

    /** An image and whether the service must refuse it ({@code null} reason: a valid image). */
    record Image(String description, byte[] bytes, String refusal) {
    }

    private HostileImages() {
    }

    static Image any(Random r) {
        return switch (r.nextInt(12)) {
            case 0, 1 -> pngBomb(r);
            case 2 -> jpegBomb(r);
            case 3 -> webpBomb(r);
            case 4, 5 -> liar(r);
            case 6, 7 -> truncated(r);
            case 8 -> new Image("empty", new byte[0], "empty");
            case 9 -> new Image("valid JPEG", JPEG, null);
            default -> new Image("valid PNG", PNG, null);
        };
    }

    /** A PNG whose IHDR declares width × height over a few hundred bytes of zlib data (which would inflate hugely). */
    static Image pngBomb(Random r) {
        long[][] sizes = {{100_000, 100_000}, {65_535, 65_535}, {40_001, 1_000}, {6_325, 6_325},
                {0x7FFF_FFFFL, 0x7FFF_FFFFL}, {1, 0x7FFF_FFFFL}, {0x8000_0000L, 1}, {0xFFFF_FFFFL, 0xFFFF_FFFFL},
                {0, 100}, {20_000 + r.nextInt(1_000_000), 20_000 + r.nextInt(1_000_000)}};
        long[] size = sizes[r.nextInt(sizes.length)];
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(Arrays.copyOf(PNG, 8));
        ByteBuffer ihdr = ByteBuffer.allocate(13);
        ihdr.putInt((int) size[0]).putInt((int) size[1]).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0)
                .put((byte) 0);
        chunk(png, "IHDR", ihdr.array());
        chunk(png, "IDAT", zeros(1 << 20));
        chunk(png, "IEND", new byte[0]);
        return new Image("PNG bomb " + size[0] + "x" + size[1], png.toByteArray(), "dimensions");
    }

    static Image jpegBomb(Random r) {
        int[][] sizes = {{65_535, 65_535}, {65_535, 1_000}, {40_000, 40_000}, {7_000, 7_000}, {0, 10}};
        int[] size = sizes[r.nextInt(sizes.length)];
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        jpeg.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xD8});
        jpeg.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0});
        jpeg.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xC0, 0, 11, 8, (byte) (size[1] >> 8), (byte) size[1],
                (byte) (size[0] >> 8), (byte) size[0], 1, 1, 0x11, 0});
        jpeg.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0});
        jpeg.writeBytes(new byte[512]);
        jpeg.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xD9});
        return new Image("JPEG bomb " + size[0] + "x" + size[1], jpeg.toByteArray(), "dimensions");
    }

    static Image webpBomb(Random r) {
        boolean lossless = r.nextBoolean();
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(56).put("WEBP".getBytes(StandardCharsets.US_ASCII));
        if (lossless) {
            // VP8L: signature 0x2f, then 14-bit width-1 and height-1: 16384 × 16384
            b.put("VP8L".getBytes(StandardCharsets.US_ASCII)).putInt(44).put((byte) 0x2F);
            int bits = 0x3FFF | 0x3FFF << 14;
            b.putInt(bits);
        } else {
            // VP8X: 24-bit canvas width-1 and height-1: 16777216 × 16777216
            b.put("VP8X".getBytes(StandardCharsets.US_ASCII)).putInt(10).putInt(0);
            b.put((byte) 0xFF).put((byte) 0xFF).put((byte) 0xFF).put((byte) 0xFF).put((byte) 0xFF).put((byte) 0xFF);
        }
        return new Image(lossless ? "WebP VP8L bomb 16384x16384" : "WebP VP8X bomb 16777216x16777216", b.array(),
                "dimensions");
    }

    /** Magic bytes that lie about the content, or name a type we do not take. */
    static Image liar(Random r) {
        byte[] junk = new byte[r.nextInt(2_000) + 1];
        r.nextBytes(junk);
        return switch (r.nextInt(9)) {
            case 0 -> new Image("PNG signature, then junk", concat(Arrays.copyOf(PNG, 8), junk), "type");
            case 1 -> new Image("JPEG SOI, then junk", concat(new byte[]{(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1},
                    junk), "type");
            case 2 -> new Image("GIF", concat("GIF89a".getBytes(StandardCharsets.US_ASCII), junk), "type");
            case 3 -> new Image("RIFF WAVE", concat("RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.US_ASCII),
                    junk), "type");
            case 4 -> new Image("SVG", ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100000\" height=\"100000\">"
                    + "<script>alert(1)</script></svg>").getBytes(StandardCharsets.UTF_8), "type");
            case 5 -> new Image("PDF", concat("%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII), junk), "type");
            case 6 -> new Image("PNG header (32x32), then JPEG data", concat(Arrays.copyOf(PNG, 33),
                    Arrays.copyOfRange(JPEG, 2, JPEG.length)), "truncated");
            case 7 -> new Image("random bytes", junk, "type");
            default -> new Image("RIFF WEBP with an unknown chunk", concat("RIFF\0\0\0\0WEBPABCD"
                    .getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(junk, Math.max(junk.length, 20))), "type");
        };
    }

    /** A real image cut short, perhaps past its header (then only its missing end tells). */
    static Image truncated(Random r) {
        boolean png = r.nextBoolean();
        byte[] whole = png ? PNG : JPEG;
        int keep = 1 + r.nextInt(whole.length - 1);
        return new Image((png ? "PNG" : "JPEG") + " cut to " + keep + " of " + whole.length + " bytes",
                Arrays.copyOf(whole, keep), "truncated");
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        ByteBuffer length = ByteBuffer.allocate(4).putInt(data.length);
        png.writeBytes(length.array());
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        png.writeBytes(typeBytes);
        png.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** {@code n} zero bytes, deflated: about a thousandth of n. */
    private static byte[] zeros(int n) {
        Deflater deflater = new Deflater(9);
        deflater.setInput(new byte[n]);
        deflater.finish();
        byte[] out = new byte[n / 100 + 64];
        int length = deflater.deflate(out);
        deflater.end();
        return Arrays.copyOf(out, length);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
