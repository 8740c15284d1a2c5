package io.diffrl4j.models.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.testing.Fixtures;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import io.diffrl4j.models.testing.ReferenceAttention;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The encoder (no diffusers fixture): shapes from the config, determinism, the Gaussian sample,
 * hand-checked downsampling and upsampling, and the whole encoder against a plain-Java reference
 * of diffusers' {@code Encoder} on the fixture's encoder weights.
 */
class VaeEncoderTest {

    @Test
    void shapesFollowTheConfig() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = AutoencoderKLReferenceTest.tiny(m, DataType.FLOAT32)) {
            // Two blocks: one downsampling, f = 2; 16 latent channels, moments 32.
            assertEquals(2, vae.config().downscaleFactor());
            NDArray images = new SeededNoise(1).uniform(m, new Shape(2, 3, 16, 24), 0, 1);
            assertEquals(new Shape(2, 32, 8, 12), vae.encodeMoments(images).getShape());
            assertEquals(new Shape(2, 16, 8, 12), vae.encode(images).getShape());
            assertEquals(new Shape(2, 16, 8, 12), vae.imagesToLatents(images).getShape());
            assertEquals(new Shape(2, 3, 16, 24), vae.decode(vae.imagesToLatents(images)).getShape());
            assertEquals(new Shape(1, 16, 4, 6), vae.encode(images.get("0:1, :, :8, :12")).getShape());
        }
    }

    @Test
    void encodingIsDeterministicAndTheSampleIsMeanPlusScaledNoise() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = AutoencoderKLReferenceTest.tiny(m, DataType.FLOAT32)) {
            NDArray x = new SeededNoise(2).uniform(m, new Shape(3, 3, 8, 12), -1, 1);
            float[] mean = vae.encode(x).toFloatArray();
            assertArrayEquals(mean, vae.encode(x).toFloatArray(), 0f);
            NDArray moments = vae.encodeMoments(x);
            assertArrayEquals(mean, moments.get(new NDIndex(":, :16")).toFloatArray(), 0f);

            NDArray sample = vae.encode(x, new SeededNoise(7));
            NDArray eps = new SeededNoise(7).normal(m, new Shape(3, 16, 4, 6));
            NDArray std = moments.get(new NDIndex(":, 16:")).clip(-30, 20).mul(0.5).exp();
            NDArray expected = moments.get(new NDIndex(":, :16")).add(std.mul(eps));
            assertTrue(AutoencoderKLReferenceTest.maxAbs(sample, expected) <= 1e-6);
            // The same draws in the same order whatever the slicing.
            vae.setMaxBatch(1);
            assertArrayEquals(sample.toFloatArray(), vae.encode(x, new SeededNoise(7)).toFloatArray(), 1e-6f);
            assertArrayEquals(mean, vae.encode(x).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void imagesToLatentsIsTheShiftedScaledMeanOfTheRescaledImage() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = AutoencoderKLReferenceTest.tiny(m, DataType.FLOAT32)) {
            NDArray images = new SeededNoise(8).uniform(m, new Shape(2, 3, 8, 12), 0, 1);
            NDArray expected = vae.encode(images.mul(2f).sub(1f)).sub(0.0609f).mul(1.5305f);
            assertTrue(AutoencoderKLReferenceTest.maxAbs(vae.imagesToLatents(images), expected) <= 1e-6);
        }
    }

    @Test
    void downsamplingPadsOnlyTheRightAndTheBottom() {
        try (NDManager m = NDManager.newBaseManager()) {
            DownEncoderBlock block = new DownEncoderBlock(1, 1, 1, 0, true);
            block.namedParameters().get("downsamplers.0.conv.weight").setArray(m.ones(new Shape(1, 1, 3, 3)));
            block.namedParameters().get("downsamplers.0.conv.bias").setArray(m.zeros(new Shape(1)));
            NDArray x = m.arange(16f).reshape(1, 1, 4, 4); // rows 0 1 2 3 / 4 5 6 7 / 8 9 10 11 / 12 13 14 15
            // 3x3 sums at stride 2 over the map with a zero row below and a zero column to the right:
            // rows 0-2 x cols 0-2 = 45, rows 0-2 x cols 2-3 = 39, rows 2-3 x cols 0-2 = 66, rows 2-3 x cols 2-3 = 50.
            assertArrayEquals(new float[] {45, 39, 66, 50}, block.forward(x).toFloatArray(), 0f);
            assertEquals(new Shape(1, 1, 2, 2), block.forward(x).getShape());
            // Odd sizes: 5 -> padded 6 -> (6 - 3) / 2 + 1 = 2, as diffusers.
            assertEquals(new Shape(1, 1, 2, 3), block.forward(m.zeros(new Shape(1, 1, 5, 7))).getShape());
        }
    }

    @Test
    void upsamplingRepeatsEachPixelTwiceAlongEachSide() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(1, 2, 2, 2));
            assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4,
                5, 5, 6, 6, 5, 5, 6, 6, 7, 7, 8, 8, 7, 7, 8, 8}, UpDecoderBlock.nearest2x(x).toFloatArray(), 0f);
        }
    }

    @Test
    void encoderMatchesAPlainJavaReference() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                WeightSource w = WeightSources.open(Fixtures.file(AutoencoderKLReferenceTest.WEIGHTS));
                AutoencoderKL vae = AutoencoderKLReferenceTest.tiny(m, DataType.FLOAT32)) {
            VaeConfig c = vae.config();
            Map<String, float[]> weights = new HashMap<>();
            for (String name : w.names()) {
                weights.put(name, w.read(name, m, DataType.FLOAT32).toFloatArray());
            }
            NDArray x = new SeededNoise(11).uniform(m, new Shape(1, 3, 8, 10), -1, 1);
            Map3 expected = new ReferenceEncoder(c, weights).forward(new Map3(3, 8, 10, x.toFloatArray()));
            NDArray moments = vae.encodeMoments(x);
            assertEquals(new Shape(1, expected.c, expected.h, expected.w), moments.getShape());
            float[] got = moments.toFloatArray();
            double err = 0;
            for (int i = 0; i < got.length; i++) {
                err = Math.max(err, Math.abs(got[i] - expected.v[i]));
            }
            // Measured: 9.4e-8 against the double-precision reference; moments are O(1).
            assertTrue(err <= 1e-4, "max abs error " + err);
        }
    }

    /** A (C, H, W) feature map in doubles. */
    static final class Map3 {
        final int c;
        final int h;
        final int w;
        final double[] v;

        Map3(int c, int h, int w) {
            this(c, h, w, new double[c * h * w]);
        }

        Map3(int c, int h, int w, double[] v) {
            this.c = c;
            this.h = h;
            this.w = w;
            this.v = v;
        }

        Map3(int c, int h, int w, float[] f) {
            this(c, h, w);
            for (int i = 0; i < f.length; i++) {
                v[i] = f[i];
            }
        }

        double at(int ch, int y, int x) {
            return y < 0 || y >= h || x < 0 || x >= w ? 0 : v[(ch * h + y) * w + x];
        }
    }

    /** diffusers' Encoder written out with loops, straight from its definition. */
    static final class ReferenceEncoder {
        final VaeConfig c;
        final Map<String, float[]> p;

        ReferenceEncoder(VaeConfig c, Map<String, float[]> weights) {
            this.c = c;
            this.p = weights;
        }

        Map3 forward(Map3 x) {
            Map3 h = conv(x, "encoder.conv_in", c.blockOutChannels().get(0), 1, 1);
            int levels = c.blockOutChannels().size();
            for (int i = 0; i < levels; i++) {
                for (int j = 0; j < c.layersPerBlock(); j++) {
                    h = resnet(h, "encoder.down_blocks." + i + ".resnets." + j, c.blockOutChannels().get(i));
                }
                if (i < levels - 1) {
                    h = conv(padRightBottom(h), "encoder.down_blocks." + i + ".downsamplers.0.conv", h.c, 2, 0);
                }
            }
            h = resnet(h, "encoder.mid_block.resnets.0", h.c);
            h = attention(h, "encoder.mid_block.attentions.0");
            h = resnet(h, "encoder.mid_block.resnets.1", h.c);
            h = silu(groupNorm(h, "encoder.conv_norm_out"));
            return conv(h, "encoder.conv_out", 2 * c.latentChannels(), 1, 1);
        }

        Map3 resnet(Map3 x, String prefix, int out) {
            Map3 h = conv(silu(groupNorm(x, prefix + ".norm1")), prefix + ".conv1", out, 1, 1);
            h = conv(silu(groupNorm(h, prefix + ".norm2")), prefix + ".conv2", out, 1, 1);
            Map3 shortcut = p.containsKey(prefix + ".conv_shortcut.weight")
                    ? conv(x, prefix + ".conv_shortcut", out, 1, 0) : x;
            Map3 y = new Map3(out, h.h, h.w);
            for (int i = 0; i < y.v.length; i++) {
                y.v[i] = shortcut.v[i] + h.v[i];
            }
            return y;
        }

        Map3 attention(Map3 x, String prefix) {
            int t = x.h * x.w;
            int ch = x.c;
            Map3 n = groupNorm(x, prefix + ".group_norm");
            double[][] tokens = new double[t][ch];
            for (int k = 0; k < ch; k++) {
                for (int i = 0; i < t; i++) {
                    tokens[i][k] = n.v[k * t + i];
                }
            }
            double[][] q = linear(tokens, prefix + ".to_q");
            double[][] kk = linear(tokens, prefix + ".to_k");
            double[][] vv = linear(tokens, prefix + ".to_v");
            double[][] att = ReferenceAttention.attention(q, kk, vv, 1);
            double[][] out = linear(att, prefix + ".to_out.0");
            Map3 y = new Map3(ch, x.h, x.w);
            for (int k = 0; k < ch; k++) {
                for (int i = 0; i < t; i++) {
                    y.v[k * t + i] = out[i][k] + x.v[k * t + i];
                }
            }
            return y;
        }

        double[][] linear(double[][] x, String prefix) {
            float[] wt = p.get(prefix + ".weight");
            float[] b = p.get(prefix + ".bias");
            int out = b.length;
            int in = x[0].length;
            double[][] y = new double[x.length][out];
            for (int i = 0; i < x.length; i++) {
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int k = 0; k < in; k++) {
                        s += wt[o * in + k] * x[i][k];
                    }
                    y[i][o] = s;
                }
            }
            return y;
        }

        Map3 conv(Map3 x, String prefix, int out, int stride, int pad) {
            float[] wt = p.get(prefix + ".weight");
            float[] b = p.get(prefix + ".bias");
            int k = (int) Math.round(Math.sqrt(wt.length / (double) (out * x.c)));
            int oh = (x.h + 2 * pad - k) / stride + 1;
            int ow = (x.w + 2 * pad - k) / stride + 1;
            Map3 y = new Map3(out, oh, ow);
            for (int o = 0; o < out; o++) {
                for (int yy = 0; yy < oh; yy++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double s = b[o];
                        for (int ci = 0; ci < x.c; ci++) {
                            for (int dy = 0; dy < k; dy++) {
                                for (int dx = 0; dx < k; dx++) {
                                    s += wt[((o * x.c + ci) * k + dy) * k + dx]
                                            * x.at(ci, yy * stride - pad + dy, xx * stride - pad + dx);
                                }
                            }
                        }
                        y.v[(o * oh + yy) * ow + xx] = s;
                    }
                }
            }
            return y;
        }

        static Map3 padRightBottom(Map3 x) {
            Map3 y = new Map3(x.c, x.h + 1, x.w + 1);
            for (int ch = 0; ch < x.c; ch++) {
                for (int yy = 0; yy < x.h; yy++) {
                    for (int xx = 0; xx < x.w; xx++) {
                        y.v[(ch * y.h + yy) * y.w + xx] = x.at(ch, yy, xx);
                    }
                }
            }
            return y;
        }

        Map3 groupNorm(Map3 x, String prefix) {
            float[] gamma = p.get(prefix + ".weight");
            float[] beta = p.get(prefix + ".bias");
            int groups = c.normNumGroups();
            int per = x.c / groups * x.h * x.w;
            Map3 y = new Map3(x.c, x.h, x.w);
            for (int g = 0; g < groups; g++) {
                // Biased variance as E[x^2] - E[x]^2, exact enough in doubles.
                double sum = 0;
                double squares = 0;
                for (int i = g * per; i < (g + 1) * per; i++) {
                    sum += x.v[i];
                    squares += x.v[i] * x.v[i];
                }
                double mu = sum / per;
                double inv = 1 / Math.sqrt(squares / per - mu * mu + 1e-6);
                for (int i = g * per; i < (g + 1) * per; i++) {
                    int ch = i / (x.h * x.w);
                    y.v[i] = (x.v[i] - mu) * inv * gamma[ch] + beta[ch];
                }
            }
            return y;
        }

        static Map3 silu(Map3 x) {
            Map3 y = new Map3(x.c, x.h, x.w);
            for (int i = 0; i < x.v.length; i++) {
                y.v[i] = x.v[i] / (1 + Math.exp(-x.v[i]));
            }
            return y;
        }
    }
}
