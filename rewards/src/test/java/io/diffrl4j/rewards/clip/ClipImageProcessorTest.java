package io.diffrl4j.rewards.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffrl4j.core.reward.ImageBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLIPImageProcessor's steps against hand-computed values and values Pillow 12.3 produced
 * ({@code img.resize((new_w, new_h), Image.BICUBIC).crop(...)} on an RGB image of {@link #pattern});
 * the normalised values are numpy's float32 results of transformers' rescale and normalise.
 */
class ClipImageProcessorTest {
    /** Pillow's resize and the crop only: the outputs are the 8-bit values themselves. */
    private static ClipImageProcessor bytesOnly(int shortestEdge, int crop) {
        return ClipImageProcessor.builder().shortestEdge(shortestEdge).cropSize(crop, crop).rescale(false, 1)
                .doNormalize(false).build();
    }

    /** An image whose channel c at (y, x) is (37 x + 91 y + 53 c) mod 256, as bytes / 255. */
    private static ImageBatch pattern(int h, int w) {
        float[] v = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    v[(c * h + y) * w + x] = ((37 * x + 91 * y + 53 * c) % 256) / 255f;
                }
            }
        }
        return new ImageBatch(v, 1, 3, h, w);
    }

    private static float[] channel(float[] pixels, int c, int plane) {
        return Arrays.copyOfRange(pixels, c * plane, (c + 1) * plane);
    }

    private static float[] floats(int... v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    @Test
    void upscalingIsPillowsBicubicByHandAndNormalisedWithClipsConstants() {
        // 2 x 2: red 0 | 255, green 255 | 0, blue 100 everywhere; shortest side 4: 4 x 4, nothing cropped.
        float[] v = new float[12];
        for (int y = 0; y < 2; y++) {
            v[y * 2 + 1] = 1;
            v[4 + y * 2] = 1;
            v[8 + y * 2] = v[8 + y * 2 + 1] = 100 / 255f;
        }
        ImageBatch image = new ImageBatch(v, 1, 3, 2, 2);
        // Upscaling by 2: output x has centre (x + 0.5) / 2 and reads the taps inside [0, 2) with
        // Keys' cubic (a = -0.5): w(t) = 1.5|t|^3 - 2.5|t|^2 + 1 below 1, -0.5(|t|^3 - 5|t|^2 + 8|t| - 4) below 2.
        //   x = 0: w(0.25) = 0.8671875 on 0, w(1.25) = -0.0703125 on 255: 255 x -0.0703 / 0.7969 < 0 -> 0
        //   x = 1: w(0.25) = 0.8671875 on 0, w(0.75) = 0.2265625 on 255: 255 x 0.2266 / 1.0938 = 52.8 -> 53
        //   x = 2, 3 mirror them: 202 and 255. Each column is constant, so the vertical pass keeps it.
        float[] bytes = bytesOnly(4, 4).pixelValues(image);
        float[] red = floats(0, 53, 202, 255, 0, 53, 202, 255, 0, 53, 202, 255, 0, 53, 202, 255);
        float[] green = floats(255, 202, 53, 0, 255, 202, 53, 0, 255, 202, 53, 0, 255, 202, 53, 0);
        assertArrayEquals(red, channel(bytes, 0, 16));
        assertArrayEquals(green, channel(bytes, 1, 16));
        float[] blue = new float[16];
        Arrays.fill(blue, 100);
        assertArrayEquals(blue, channel(bytes, 2, 16));

        // Rescaled by 1/255 and normalised in float32: numpy's values for transformers' arithmetic.
        ClipImageProcessor clip = ClipImageProcessor.builder().shortestEdge(4).cropSize(4, 4).build();
        float[] px = clip.pixelValues(image);
        assertArrayEquals(new float[] {-1.7922625541687012f, -1.0185459852218628f, 1.1566195487976074f,
                1.9303361177444458f}, Arrays.copyOfRange(px, 0, 4));
        assertArrayEquals(new float[] {2.0748836994171143f, 1.2794721126556396f, -0.9566853642463684f, -1.7520971298217773f},
                Arrays.copyOfRange(px, 16, 20));
        assertEquals(-0.05821315571665764f, px[32], 0);
        // (v / 255 - mean) / std with OpenAI CLIP's constants, e.g. red 0 -> -0.48145466 / 0.26862954.
        assertEquals(-0.48145466 / 0.26862954, px[0], 1e-6);
        assertEquals((1 - 0.4578275) / 0.26130258, px[16], 1e-6);
        assertArrayEquals(new float[] {0.48145466f, 0.4578275f, 0.40821073f}, clip.imageMean());
        assertArrayEquals(new float[] {0.26862954f, 0.26130258f, 0.27577711f}, clip.imageStd());
    }

    @Test
    void downscalingAndTheCentreCropMatchPillow() {
        // 6 x 11 -> shortest side 4: 4 x int(4 * 11 / 6) = 4 x 7, crop 4 x 4 from column (7 - 4) // 2 = 1.
        ClipImageProcessor p = bytesOnly(4, 4);
        float[] landscape = p.pixelValues(pattern(6, 11));
        assertArrayEquals(floats(104, 169, 150, 87, 96, 114, 104, 139, 119, 126, 144, 115, 123, 81, 84, 159),
                channel(landscape, 0, 16));
        assertArrayEquals(floats(165, 178, 140, 64, 105, 133, 132, 183, 152, 137, 166, 91, 108, 84, 145, 210),
                channel(landscape, 1, 16));
        assertArrayEquals(floats(139, 173, 94, 126, 99, 120, 183, 153, 163, 116, 86, 149, 105, 143, 175, 96),
                channel(landscape, 2, 16));
        // 11 x 6 -> 7 x 4, crop from row 1.
        float[] portrait = p.pixelValues(pattern(11, 6));
        assertArrayEquals(floats(156, 96, 103, 115, 75, 125, 134, 106, 169, 110, 90, 115, 100, 150, 155, 113),
                channel(portrait, 0, 16));
        assertArrayEquals(floats(147, 95, 140, 136, 125, 163, 115, 172, 160, 99, 123, 130, 143, 188, 131, 97),
                channel(portrait, 1, 16));
        assertArrayEquals(floats(101, 106, 124, 156, 176, 153, 119, 82, 115, 135, 152, 172, 146, 112, 141, 106),
                channel(portrait, 2, 16));
    }

    @Test
    void theDefaultsAreClipsTwoTwentyFour() {
        // 300 x 400 -> 224 x 298, crop from column 37; Pillow's values at three pixels.
        ImageBatch image = pattern(300, 400);
        float[] bytes = ClipImageProcessor.builder().rescale(false, 1).doNormalize(false).build().pixelValues(image);
        int plane = 224 * 224;
        int[][] at = {{0, 0, 59, 140, 186}, {111, 150, 92, 103, 139}, {223, 223, 185, 182, 101}};
        for (int[] a : at) {
            for (int c = 0; c < 3; c++) {
                assertEquals(a[2 + c], bytes[c * plane + a[0] * 224 + a[1]], 0, "channel " + c + " at " + a[0] + ", " + a[1]);
            }
        }
        ClipImageProcessor defaults = ClipImageProcessor.builder().build();
        assertArrayEquals(new int[] {224, 224}, defaults.outputSize(300, 400));
        float[] px = defaults.pixelValues(image);
        assertEquals(3 * plane, px.length);
        assertArrayEquals(new float[] {-0.9309554100036621f, 0.3489905297756195f, 1.1647125482559204f},
                new float[] {px[0], px[plane], px[2 * plane]});
    }

    @Test
    void valuesBecomeBytesAsTheReferenceCodeRoundsThem() {
        // No resize (shortest side already 2), no crop change: 0.5 -> 127.5 -> 128 (half to even),
        // values outside [0, 1] are clamped.
        ImageBatch image = new ImageBatch(new float[] {0.5f, 1.7f, -0.2f, 0.2f, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 3, 2, 2);
        float[] bytes = bytesOnly(2, 2).pixelValues(image);
        assertArrayEquals(floats(128, 255, 0, 51), Arrays.copyOf(bytes, 4));
        // A grey image becomes RGB.
        float[] grey = bytesOnly(2, 2).pixelValues(new ImageBatch(new float[] {0, 1, 1, 0}, 1, 1, 2, 2));
        assertArrayEquals(floats(0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0), grey);
    }

    @Test
    void aCropLargerThanTheImagePadsWithZeros() {
        // transformers pads ceil((4 - 2) / 2) = 1 row and column before the image.
        ClipImageProcessor p = ClipImageProcessor.builder().doResize(false).cropSize(4, 4).rescale(false, 1)
                .doNormalize(false).build();
        float[] v = new float[12];
        float[] rgb = {10, 20, 30, 40};
        for (int i = 0; i < 4; i++) {
            v[i] = rgb[i] / 255f;
        }
        assertArrayEquals(floats(0, 0, 0, 0, 0, 10, 20, 0, 0, 30, 40, 0, 0, 0, 0, 0),
                channel(p.pixelValues(new ImageBatch(v, 1, 3, 2, 2)), 0, 16));
    }

    @Test
    void settingsComeFromPreprocessorConfigInEitherFormat(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ClipImageProcessor old = ClipImageProcessor.fromJson(json.readTree(
                "{\"size\": 336, \"crop_size\": 336, \"do_center_crop\": true, \"resample\": 3, "
                        + "\"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.25, 0.25, 0.25]}"));
        assertArrayEquals(new int[] {336, 336}, old.cropSize());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, old.imageMean());
        ClipImageProcessor current = ClipImageProcessor.fromJson(json.readTree(
                "{\"size\": {\"shortest_edge\": 224}, \"crop_size\": {\"height\": 224, \"width\": 224}}"));
        assertEquals(ClipImageProcessor.builder().build().toString(), current.toString());
        ClipImageProcessor exact = ClipImageProcessor.fromJson(json.readTree(
                "{\"size\": {\"height\": 30, \"width\": 20}, \"do_center_crop\": false}"));
        assertArrayEquals(new int[] {30, 20}, exact.outputSize(100, 50));
        assertNull(exact.cropSize());
        // The shortest side is scaled to the target, the other by int(target * long / short).
        ClipImageProcessor noCrop = ClipImageProcessor.builder().doCenterCrop(false).build();
        assertArrayEquals(new int[] {224, 298}, noCrop.outputSize(300, 400));
        assertArrayEquals(new int[] {261, 224}, noCrop.outputSize(70, 60));

        assertEquals(ClipImageProcessor.builder().build().toString(), ClipImageProcessor.fromFolder(dir).toString());
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"resample\": 2}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClipImageProcessor.fromFolder(dir));
        assertEquals(dir.resolve("preprocessor_config.json") + ": resample = 2: only 3 (PIL's BICUBIC) is supported",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClipImageProcessor.builder().cropSize(0, 224).build());
        assertEquals("crop_size.height = 0: must be at least 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClipImageProcessor.builder().imageStd(1, 0, 1).build());
        assertEquals("image_std[1] = 0.0: must be finite and > 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClipImageProcessor.fromJson(json.readTree(
                "{\"image_mean\": [0.5, 0.5]}")));
        assertEquals("image_mean must be 3 numbers (R, G, B), got [0.5,0.5]", e.getMessage());
    }
}
