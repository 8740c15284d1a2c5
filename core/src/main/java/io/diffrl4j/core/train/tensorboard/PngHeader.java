package io.diffrl4j.core.train.tensorboard;

import java.nio.ByteBuffer;

/**
 * What a PNG's IHDR chunk says of the image: its size and colour type, mapped to the colorspace
 * codes of {@code Summary.Image} (1 grey, 2 grey and alpha, 3 RGB, 4 RGBA). Read from the bytes so
 * that the size an event records cannot disagree with the picture it carries.
 *
 * @param width pixels
 * @param height pixels
 * @param colorspace the {@code Summary.Image} colorspace code
 */
record PngHeader(int width, int height, int colorspace) {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /**
     * @param png a PNG file's bytes
     * @return its header
     * @throws IllegalArgumentException when the bytes do not start like a PNG
     */
    static PngHeader read(byte[] png) {
        // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), bit depth (1), colour type (1)
        if (png.length < 26) {
            throw new IllegalArgumentException("not a PNG: " + png.length + " bytes");
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png[i] != SIGNATURE[i]) {
                throw new IllegalArgumentException("not a PNG: the signature is missing");
            }
        }
        if (png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R') {
            throw new IllegalArgumentException("not a PNG: the first chunk is not IHDR");
        }
        ByteBuffer b = ByteBuffer.wrap(png); // PNG integers are big-endian, ByteBuffer's default
        int width = b.getInt(16);
        int height = b.getInt(20);
        int colorType = png[25];
        int colorspace = switch (colorType) {
            case 0 -> 1; // greyscale
            case 4 -> 2; // greyscale and alpha
            case 2, 3 -> 3; // truecolour, or a palette of RGB entries
            case 6 -> 4; // truecolour and alpha
            default -> throw new IllegalArgumentException("not a PNG: colour type " + colorType);
        };
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("not a PNG: size " + width + "x" + height);
        }
        return new PngHeader(width, height, colorspace);
    }
}
