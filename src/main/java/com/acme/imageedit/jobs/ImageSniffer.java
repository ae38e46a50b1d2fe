package com.acme.imageedit.jobs;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Recognises PNG, JPEG and WEBP from their headers and reads the declared dimensions without decoding pixels, so that
 * a decompression bomb is refused before anything decodes it.
 */
final class ImageSniffer {

    private ImageSniffer() {
    }

    static Optional<ImageInfo> sniff(byte[] bytes) {
        if (isPng(bytes)) {
            return png(bytes);
        }
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8 && (bytes[2] & 0xFF) == 0xFF) {
            return jpeg(bytes);
        }
        if (bytes.length >= 16 && ascii(bytes, 0, 4).equals("RIFF") && ascii(bytes, 8, 4).equals("WEBP")) {
            return webp(bytes);
        }
        return Optional.empty();
    }

    /**
     * Whether an image that {@link #sniff} recognised is whole: its container structure (PNG chunks up to IEND, a JPEG
     * end-of-image marker after its first scan, the RIFF length of a WEBP) is walked, not its pixels decoded. A file
     * cut short, or a valid header followed by something else, is not.
     */
    static boolean isComplete(byte[] bytes, ImageInfo info) {
        return switch (info.contentType()) {
            case "image/png" -> pngComplete(bytes);
            case "image/jpeg" -> jpegComplete(bytes);
            case "image/webp" -> webpComplete(bytes);
            default -> false;
        };
    }

    private static boolean pngComplete(byte[] b) {
        long i = 8;
        while (i + 12 <= b.length) {
            long length = u32(b, (int) i);
            String type = ascii(b, (int) i + 4, 4);
            long next = i + 12 + length;
            if (length > Integer.MAX_VALUE || next > b.length) {
                return false;
            }
            if (type.equals("IEND")) {
                return true;
            }
            i = next;
        }
        return false;
    }

    private static boolean jpegComplete(byte[] b) {
        // Markers up to the first start-of-scan; after it only an end-of-image marker (FF D9) can hold those two
        // bytes: the entropy-coded data stuffs every FF with 00.
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                return false;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                i += 2;
                continue;
            }
            if (marker == 0xD9) {
                return false;
            }
            int length = u16(b, i + 2);
            if (length < 2) {
                return false;
            }
            if (marker == 0xDA) {
                for (int j = i + 2 + length; j + 1 < b.length; j++) {
                    if ((b[j] & 0xFF) == 0xFF && (b[j + 1] & 0xFF) == 0xD9) {
                        return true;
                    }
                }
                return false;
            }
            i += 2 + length;
        }
        return false;
    }

    private static boolean webpComplete(byte[] b) {
        long riffSize = (b[4] & 0xFFL) | (b[5] & 0xFFL) << 8 | (b[6] & 0xFFL) << 16 | (b[7] & 0xFFL) << 24;
        return riffSize >= 4 && riffSize + 8 <= b.length;
    }

    private static boolean isPng(byte[] b) {
        return b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
                && b[4] == 0x0D && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A;
    }

    private static Optional<ImageInfo> png(byte[] b) {
        // The first chunk must be IHDR: length(4) "IHDR"(4) width(4) height(4)
        if (b.length < 24 || !ascii(b, 12, 4).equals("IHDR")) {
            return Optional.empty();
        }
        return dimensions("image/png", u32(b, 16), u32(b, 20));
    }

    private static Optional<ImageInfo> jpeg(byte[] b) {
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                return Optional.empty();
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                i += 2;
                continue;
            }
            if (marker == 0xD9 || marker == 0xDA) {
                return Optional.empty();
            }
            int length = u16(b, i + 2);
            boolean startOfFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
                    && marker != 0xCC;
            if (startOfFrame) {
                if (i + 9 > b.length) {
                    return Optional.empty();
                }
                return dimensions("image/jpeg", u16(b, i + 7), u16(b, i + 5));
            }
            if (length < 2) {
                return Optional.empty();
            }
            i += 2 + length;
        }
        return Optional.empty();
    }

    private static Optional<ImageInfo> webp(byte[] b) {
        if (b.length < 30) {
            return Optional.empty();
        }
        String chunk = ascii(b, 12, 4);
        switch (chunk) {
            case "VP8 " -> {
                // Key frame start code 9d 01 2a, then 14-bit width and height.
                if ((b[23] & 0xFF) != 0x9D || (b[24] & 0xFF) != 0x01 || (b[25] & 0xFF) != 0x2A) {
                    return Optional.empty();
                }
                return dimensions("image/webp", u16le(b, 26) & 0x3FFF, u16le(b, 28) & 0x3FFF);
            }
            case "VP8L" -> {
                if ((b[20] & 0xFF) != 0x2F) {
                    return Optional.empty();
                }
                long bits = (b[21] & 0xFFL) | (b[22] & 0xFFL) << 8 | (b[23] & 0xFFL) << 16 | (b[24] & 0xFFL) << 24;
                return dimensions("image/webp", (int) (bits & 0x3FFF) + 1, (int) ((bits >> 14) & 0x3FFF) + 1);
            }
            case "VP8X" -> {
                return dimensions("image/webp", u24le(b, 24) + 1, u24le(b, 27) + 1);
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    private static Optional<ImageInfo> dimensions(String type, long width, long height) {
        if (width <= 0 || height <= 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new ImageInfo(type, (int) width, (int) height));
    }

    private static String ascii(byte[] b, int offset, int length) {
        return new String(b, offset, length, StandardCharsets.ISO_8859_1);
    }

    private static long u32(byte[] b, int i) {
        return (b[i] & 0xFFL) << 24 | (b[i + 1] & 0xFFL) << 16 | (b[i + 2] & 0xFFL) << 8 | (b[i + 3] & 0xFFL);
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static int u16le(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static int u24le(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16;
    }
}
