package com.acme.imageedit.simulator;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Makes the "edited" image: a real PNG that visibly differs from the input, so that a test can tell a stored result
 * from a stored input. Blocking (ImageIO); callers run it on a blocking-friendly scheduler.
 */
final class ResultRenderer {

    private static final Color BORDER = new Color(255, 0, 170);

    byte[] render(byte[] input) {
        BufferedImage source = decode(input);
        return encode(source == null ? gradient() : invertedWithBorder(source));
    }

    private static BufferedImage decode(byte[] input) {
        try {
            return ImageIO.read(new ByteArrayInputStream(input));
        } catch (IOException | RuntimeException e) {
            // a corrupt or unsupported input (e.g. WEBP without a plugin) still deserves a result, as upstream gives one
            return null;
        }
    }

    private static BufferedImage invertedWithBorder(BufferedImage source) {
        int width = source.getWidth();
        int height = source.getHeight();
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                out.setRGB(x, y, ~source.getRGB(x, y) & 0xFFFFFF);
            }
        }
        int border = Math.max(1, Math.min(width, height) / 16);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(BORDER);
            g.fillRect(0, 0, width, border);
            g.fillRect(0, height - border, width, border);
            g.fillRect(0, 0, border, height);
            g.fillRect(width - border, 0, border, height);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static BufferedImage gradient() {
        BufferedImage out = new BufferedImage(256, 256, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                out.setRGB(x, y, (x << 16) | (y << 8) | 0x80);
            }
        }
        return out;
    }

    private static byte[] encode(BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
