package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.testing.ReferenceAttention;
import java.util.Map;

/**
 * The CLIP vision tower written out in plain Java doubles from transformers' modelling code
 * ({@code CLIPVisionEmbeddings}, {@code CLIPEncoderLayer} with eager attention and no mask,
 * {@code CLIPVisionTransformer}, {@code visual_projection}), as the tests' independent reference.
 */
final class ClipReference {
    private final Map<String, NDArray> weights;
    private final ClipVisionConfig c;

    ClipReference(Map<String, NDArray> weights, ClipVisionConfig config) {
        this.weights = weights;
        this.c = config;
    }

    private double[] w(String name) {
        float[] f = weights.get(name).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /**
     * @param pixels one image, C x S x S row-major
     * @return {last hidden state (T x D, flattened), pooled output (D), image embeddings (P)}
     */
    double[][] forward(float[] pixels) {
        int d = c.hiddenSize();
        int p = c.patchSize();
        int s = c.imageSize();
        int g = c.gridSize();
        int t = c.numPositions();
        double[] patch = w("vision_model.embeddings.patch_embedding.weight");
        double[] cls = w("vision_model.embeddings.class_embedding");
        double[] pos = w("vision_model.embeddings.position_embedding.weight");
        double[][] x = new double[t][d];
        for (int o = 0; o < d; o++) {
            x[0][o] = cls[o] + pos[o];
        }
        for (int gy = 0; gy < g; gy++) {
            for (int gx = 0; gx < g; gx++) {
                int token = 1 + gy * g + gx;
                for (int o = 0; o < d; o++) {
                    double sum = 0;
                    for (int ch = 0; ch < c.numChannels(); ch++) {
                        for (int ky = 0; ky < p; ky++) {
                            for (int kx = 0; kx < p; kx++) {
                                sum += patch[((o * c.numChannels() + ch) * p + ky) * p + kx]
                                        * pixels[(ch * s + gy * p + ky) * s + gx * p + kx];
                            }
                        }
                    }
                    x[token][o] = sum + pos[token * d + o];
                }
            }
        }
        x = layerNorm(x, "vision_model.pre_layrnorm");
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            x = layer(x, "vision_model.encoder.layers." + i + ".");
        }
        double[] pooled = layerNorm(new double[][] {x[0]}, "vision_model.post_layernorm")[0];
        double[] embeds = linear(new double[][] {pooled}, "visual_projection", false)[0];
        double[] flat = new double[t * d];
        for (int i = 0; i < t; i++) {
            System.arraycopy(x[i], 0, flat, i * d, d);
        }
        return new double[][] {flat, pooled, embeds};
    }

    /** One CLIPEncoderLayer without an attention mask; x is T x D. */
    double[][] layer(double[][] x, String prefix) {
        int heads = c.numAttentionHeads();
        double[][] h = layerNorm(x, prefix + "layer_norm1");
        double[][] q = linear(h, prefix + "self_attn.q_proj", true);
        double[][] k = linear(h, prefix + "self_attn.k_proj", true);
        double[][] v = linear(h, prefix + "self_attn.v_proj", true);
        double[][] attended = ReferenceAttention.attention(q, k, v, heads);
        double[][] y = add(x, linear(attended, prefix + "self_attn.out_proj", true));
        double[][] f = linear(layerNorm(y, prefix + "layer_norm2"), prefix + "mlp.fc1", true);
        for (double[] row : f) {
            for (int e = 0; e < row.length; e++) {
                row[e] = row[e] / (1 + Math.exp(-1.702 * row[e])); // quick_gelu
            }
        }
        return add(y, linear(f, prefix + "mlp.fc2", true));
    }

    private double[][] layerNorm(double[][] x, String module) {
        double[] gamma = w(module + ".weight");
        double[] beta = w(module + ".bias");
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = normalise(x[i], c.layerNormEps());
            for (int e = 0; e < gamma.length; e++) {
                out[i][e] = out[i][e] * gamma[e] + beta[e];
            }
        }
        return out;
    }

    /** @return (x - mean) / sqrt(var + eps), the biased variance as layer norm uses */
    static double[] normalise(double[] x, double eps) {
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        double[] out = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            out[e] = (x[e] - mean) / Math.sqrt(var + eps);
        }
        return out;
    }

    private double[][] linear(double[][] x, String module, boolean bias) {
        double[] wt = w(module + ".weight");
        double[] b = bias ? w(module + ".bias") : null;
        int in = x[0].length;
        int out = wt.length / in;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double sum = b == null ? 0 : b[o];
                for (int e = 0; e < in; e++) {
                    sum += wt[o * in + e] * x[i][e];
                }
                y[i][o] = sum;
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
            for (int e = 0; e < out[i].length; e++) {
                out[i][e] += b[i][e];
            }
        }
        return out;
    }
}
