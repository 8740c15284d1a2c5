package io.diffrl4j.benchmarks.peer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.benchmarks.support.Args;
import io.diffrl4j.benchmarks.support.GradMode;
import io.diffrl4j.benchmarks.support.Json;
import io.diffrl4j.benchmarks.support.Machine;
import io.diffrl4j.benchmarks.support.Sd35mShaped;
import io.diffrl4j.benchmarks.support.Summary;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.adapter.LoraWeights;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.examples.shapes.ShapesModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Times the Java MMDiT and its PyTorch peer ({@code benchmarks/peer/mmdit_peer.py}) on the same
 * model, weights and batch, alternating the two sides in one run, and prints Java/PyTorch time
 * ratios with their spread over rounds.
 *
 * <p>Steps: build the model (default: {@link Sd35mShaped} with 2 blocks at 512 px, batch 1, 333
 * text tokens; or the Shapes architecture) with random base weights and a random LoRA policy set
 * (A and B both non-zero, so every adapter gets a gradient); compute the Java outputs with both
 * attention backends and the LoRA gradients of {@code mean(v^2)}; export weights, inputs, outputs
 * and gradients as safetensors; start the peer, which checks that it reproduces the Java outputs
 * and gradients (the proof that both sides compute the identical model) and then waits for timing
 * commands. Each round times every comparison and mode on both sides ({@code --reps} repetitions
 * each, the side that goes first alternating between rounds, the other side idle meanwhile); a
 * round's ratio is the median Java time over the median PyTorch time.
 *
 * <p>Comparisons: <b>like-for-like</b> is composed attention on both sides with the peer running
 * the Java code's op sequence ("mirror"), so the ratio is what DJL, JNI and the JVM add to the
 * same kernels (also with the fused kernel on both sides when the peer's PyTorch has
 * {@code scaled_dot_product_attention}); <b>shipped</b> is the configuration each side ships:
 * Java with {@code AttentionBackend.auto()} (the fused kernel) against idiomatic PyTorch with the
 * best attention it has (Debian's PyTorch 1.13 has no fused attention: composed).
 *
 * <pre>
 * PeerComparison [--model sd35m|shapes] [--layers 2] [--latent 64] [--batch 1] [--rounds 5] [--reps 3]
 *     [--threads N] [--python /usr/bin/python3] [--script benchmarks/peer/mmdit_peer.py]
 *     [--work benchmarks/target/bench/peer-work] [--out benchmarks/target/bench/peer.json] [--seed S]
 *     [--keep-files false]   (true keeps the exported model, inputs and Java outputs for a standalone peer run)
 * </pre>
 */
public final class PeerComparison {
    private static final List<String> MODES = List.of("forward", "forward_backward");

    /** One side-by-side configuration. */
    private record Comparison(String name, String javaAttention, String peerOps, String peerAttention) {}

    private PeerComparison() {}

    /** @param args see the class comment */
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args, Set.of("model", "layers", "latent", "batch", "rounds", "reps", "threads", "python",
                "script", "work", "out", "seed", "keep-files"));
        GradMode.offForThisThread();
        String python = a.get("python", "/usr/bin/python3");
        String torch = PythonPeer.torchVersion(python);
        if (torch == null) {
            System.err.println(python + " cannot import torch. On Debian: apt-get install -y python3-torch "
                    + "(benchmarks/run.sh does this), or pass --python with an interpreter that has PyTorch.");
            System.exit(2);
        }
        String modelName = a.get("model", "sd35m");
        int layers = a.getInt("layers", 2);
        int latent = a.getInt("latent", modelName.equals("sd35m") ? Sd35mShaped.LATENT_512 : 32);
        int batch = a.getInt("batch", 1);
        int rounds = a.getInt("rounds", 5);
        int reps = a.getInt("reps", 3);
        int threads = a.getInt("threads", Runtime.getRuntime().availableProcessors());
        long seed = a.getLong("seed", 21);
        Path work = Path.of(a.get("work", "benchmarks/target/bench/peer-work"));
        Path out = Path.of(a.get("out", "benchmarks/target/bench/peer.json"));
        boolean keep = a.getBoolean("keep-files", false);

        MmditConfig config;
        String description;
        int textTokens;
        int textWidth;
        if (modelName.equals("sd35m")) {
            config = Sd35mShaped.reduced(layers);
            description = Sd35mShaped.describe(layers) + ", " + latent * 8 + " px, batch " + batch;
            textTokens = Sd35mShaped.TEXT_TOKENS;
            textWidth = config.jointAttentionDim();
        } else if (modelName.equals("shapes")) {
            config = ShapesModel.config();
            description = "Shapes architecture (random weights), 32x32, batch " + batch;
            textTokens = 16;
            textWidth = config.jointAttentionDim();
        } else {
            throw new IllegalArgumentException("--model must be sd35m or shapes, got " + modelName);
        }
        System.out.println("machine: " + Machine.oneLine());
        System.out.println("model:   " + description + "; peer: " + python + " with PyTorch " + torch + ", " + threads
                + " threads");

        Files.createDirectories(work);
        Path weightsFile = work.resolve("weights.safetensors");
        Path ioFile = work.resolve("io.safetensors");
        Path configFile = work.resolve("config.json");
        try (NDManager root = NDManager.newBaseManager();
                MmditModel model = MmditModel.random(config, LoraConfig.builder().build(), root, seed)) {
            SeededNoise rng = new SeededNoise(seed + 1);
            AdapterSet policy = model.adapters().create("policy", true, rng.fork(1));
            for (String module : policy.modules()) {
                // A fresh adapter has B = 0, which would leave A without gradient: make both non-zero.
                NDArray up = policy.get(module).up();
                try (NDArray noise = rng.normal(root, up.getShape())) {
                    up.addi(noise.muli(0.02f));
                }
            }
            model.adapters().use("policy");
            int side = latent;
            NDArray x = rng.normal(root, new Shape(batch, config.inChannels(), side, side));
            NDArray t = root.full(new Shape(batch), 700f);
            NDArray text = rng.normal(root, new Shape(batch, textTokens, textWidth));
            NDArray pooled = rng.normal(root, new Shape(batch, config.pooledProjectionDim()));
            JavaSide java = new JavaSide(root, model, x, t, text, pooled);

            export(model, policy, java, weightsFile, ioFile, configFile);
            ObjectNode result = Json.MAPPER.createObjectNode();
            result.put("benchmark", "peer-comparison");
            result.put("description", description);
            result.set("machine", Machine.describe());
            result.put("python", python);
            result.put("torch", torch);
            result.put("rounds", rounds);
            result.put("reps_per_round", reps);

            try (PythonPeer peer = PythonPeer.start(python, Path.of(a.get("script", "benchmarks/peer/mmdit_peer.py")),
                    weightsFile, ioFile, configFile, threads)) {
                JsonNode check = peer.check();
                result.set("check", check);
                System.out.printf(Locale.ROOT, "check:   max |out_peer - out_java| = %.2e (mirror/composed), %.2e "
                        + "(idiomatic/%s vs fused), max |out| = %.3g; max |grad_peer - grad_java| = %.2e of max |grad| %.3g%n",
                        check.get("max_abs_diff_out_mirror_composed_vs_java_composed").asDouble(),
                        check.get("max_abs_diff_out_idiomatic_vs_java_fused").asDouble(),
                        check.get("best_attention").asText(), check.get("max_abs_out").asDouble(),
                        check.get("max_abs_diff_lora_grad_vs_java").asDouble(), check.get("max_abs_lora_grad").asDouble());
                for (JsonNode lib : check.path("blas")) {
                    if (lib.asText().contains("/blas/libblas")) {
                        System.out.println("WARNING: the peer's PyTorch uses the reference BLAS (" + lib.asText()
                                + "), which is tens of times slower than an optimised one; on Debian: "
                                + "apt-get install -y libopenblas0-pthread");
                    }
                }
                List<Comparison> comparisons = new ArrayList<>();
                comparisons.add(new Comparison("like-for-like composed", "composed", "mirror", "composed"));
                if (check.get("has_sdpa").asBoolean()) {
                    comparisons.add(new Comparison("like-for-like fused", "fused", "mirror", "sdpa"));
                }
                comparisons.add(new Comparison("shipped", "auto", "idiomatic", check.get("best_attention").asText()));
                result.set("comparisons", run(java, peer, comparisons, rounds, reps));
            } finally {
                if (keep) {
                    System.out.println("kept " + work + " (time it elsewhere, e.g. on a GPU: python3 "
                            + "benchmarks/peer/mmdit_peer.py --weights " + weightsFile + " --io " + ioFile + " --config "
                            + configFile + " --device cuda)");
                } else {
                    Files.deleteIfExists(weightsFile);
                    Files.deleteIfExists(ioFile);
                    Files.deleteIfExists(configFile);
                }
            }
            Json.write(out, result);
            System.out.println("written " + out);
        }
    }

    private static ArrayNode run(JavaSide java, PythonPeer peer, List<Comparison> comparisons, int rounds, int reps)
            throws IOException {
        // One untimed pass of everything on both sides first: JIT, kernel loading, allocator warm-up.
        for (Comparison c : comparisons) {
            for (String mode : MODES) {
                java.time(mode, c.javaAttention(), 1);
                peer.time(mode, c.peerOps(), c.peerAttention(), 1);
            }
        }
        Map<String, List<Double>> javaTimes = new LinkedHashMap<>();
        Map<String, List<Double>> peerTimes = new LinkedHashMap<>();
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (Comparison c : comparisons) {
                for (String mode : MODES) {
                    String key = c.name() + " / " + mode;
                    double[] j;
                    double[] p;
                    if (r % 2 == 0) {
                        j = java.time(mode, c.javaAttention(), reps);
                        p = peer.time(mode, c.peerOps(), c.peerAttention(), reps);
                    } else {
                        p = peer.time(mode, c.peerOps(), c.peerAttention(), reps);
                        j = java.time(mode, c.javaAttention(), reps);
                    }
                    add(javaTimes, key, j);
                    add(peerTimes, key, p);
                    double ratio = Summary.of(j).median() / Summary.of(p).median();
                    ratios.computeIfAbsent(key, k -> new ArrayList<>()).add(ratio);
                    System.out.printf(Locale.ROOT, "round %d  %-36s java %8.1f ms  pytorch %8.1f ms  ratio %.3f%n", r + 1,
                            key, 1e3 * Summary.of(j).median(), 1e3 * Summary.of(p).median(), ratio);
                }
            }
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-36s %-22s %-22s %s%n", "comparison / mode", "java ms", "pytorch ms",
                "java/pytorch (median [min - max] over rounds)");
        for (Comparison c : comparisons) {
            for (String mode : MODES) {
                String key = c.name() + " / " + mode;
                Summary js = Summary.of(javaTimes.get(key));
                Summary ps = Summary.of(peerTimes.get(key));
                Summary rs = Summary.of(ratios.get(key));
                ObjectNode n = out.addObject();
                n.put("comparison", c.name());
                n.put("mode", mode);
                n.put("java_attention", c.javaAttention());
                n.put("peer_ops", c.peerOps());
                n.put("peer_attention", c.peerAttention());
                n.set("java_s", js.toJson());
                n.set("pytorch_s", ps.toJson());
                n.set("ratio", rs.toJson());
                System.out.printf(Locale.ROOT, "%-36s %-22s %-22s %s%n", key, ms(js), ms(ps), rs.format(3));
            }
        }
        return out;
    }

    private static String ms(Summary s) {
        return String.format(Locale.ROOT, "%.1f [%.1f-%.1f]", 1e3 * s.median(), 1e3 * s.min(), 1e3 * s.max());
    }

    private static void add(Map<String, List<Double>> m, String key, double[] values) {
        List<Double> l = m.computeIfAbsent(key, k -> new ArrayList<>());
        for (double v : values) {
            l.add(v);
        }
    }

    private static void export(MmditModel model, AdapterSet policy, JavaSide java, Path weightsFile, Path ioFile,
            Path configFile) throws IOException {
        Map<String, NDArray> weights = new LinkedHashMap<>(model.baseWeights());
        List<String> modules = new ArrayList<>(policy.modules());
        for (String module : modules) {
            LoraWeights w = policy.get(module);
            weights.put(module + ".lora_A.weight", w.down());
            weights.put(module + ".lora_B.weight", w.up());
        }
        SafetensorsWriter.save(weightsFile, weights, Map.of("format", "pt"));
        try (NDManager scratch = java.root.newSubManager()) {
            Map<String, NDArray> io = new TreeMap<>();
            io.put("latents", java.x);
            io.put("timestep", java.t);
            io.put("text", java.text);
            io.put("pooled", java.pooled);
            io.put("out.composed", java.output(scratch, AttentionBackend.composed()));
            io.put("out.fused", java.output(scratch, AttentionBackend.auto()));
            io.putAll(java.loraGradients(scratch, policy));
            SafetensorsWriter.save(ioFile, io, Map.of("format", "pt"));
        }
        ObjectNode meta = Json.MAPPER.createObjectNode();
        meta.set("config", model.config().toJson());
        ArrayNode m = meta.putArray("lora_modules");
        modules.forEach(m::add);
        meta.put("lora_scale", model.adapters().config().scale());
        Json.write(configFile, meta);
    }

    /** The Java side: one model and batch, timed like the peer. */
    private static final class JavaSide {
        final NDManager root;
        final MmditModel model;
        final NDArray x;
        final NDArray t;
        final NDArray text;
        final NDArray pooled;

        JavaSide(NDManager root, MmditModel model, NDArray x, NDArray t, NDArray text, NDArray pooled) {
            this.root = root;
            this.model = model;
            this.x = x;
            this.t = t;
            this.text = text;
            this.pooled = pooled;
        }

        NDArray output(NDManager owner, AttentionBackend backend) {
            model.setAttentionBackend(backend);
            try (NDManager step = root.newSubManager()) {
                step.tempAttachAll(x, t, text, pooled);
                NDArray out = model.transformer().forward(x, t, text, pooled);
                out.attach(owner);
                return out;
            }
        }

        /** LoRA gradients of {@code mean(v^2)} with composed attention, from zero, then zeroed again. */
        Map<String, NDArray> loraGradients(NDManager owner, AdapterSet policy) {
            model.setAttentionBackend(AttentionBackend.composed());
            zero(policy);
            try (NDManager step = root.newSubManager()) {
                step.tempAttachAll(x, t, text, pooled);
                try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    c.backward(model.transformer().forward(x, t, text, pooled).square().mean());
                }
            }
            Map<String, NDArray> grads = new TreeMap<>();
            for (String module : policy.modules()) {
                LoraWeights w = policy.get(module);
                NDArray ga = w.down().getGradient();
                NDArray gb = w.up().getGradient();
                ga.attach(owner);
                gb.attach(owner);
                grads.put("grad." + module + ".lora_A.weight", ga.duplicate());
                grads.put("grad." + module + ".lora_B.weight", gb.duplicate());
            }
            zero(policy);
            return grads;
        }

        private static void zero(AdapterSet policy) {
            for (NDArray p : policy.parameters()) {
                try (NDArray g = p.getGradient()) {
                    g.subi(g);
                }
            }
        }

        /** Seconds per repetition; the adapters' gradients accumulate across calls, as on the peer. */
        double[] time(String mode, String attention, int reps) {
            model.setAttentionBackend(switch (attention) {
                case "composed" -> AttentionBackend.composed();
                case "fused" -> AttentionBackend.fused();
                default -> AttentionBackend.auto();
            });
            double[] s = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                try (NDManager step = root.newSubManager()) {
                    step.tempAttachAll(x, t, text, pooled);
                    if (mode.equals("forward")) {
                        model.transformer().forward(x, t, text, pooled);
                    } else {
                        try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                            c.backward(model.transformer().forward(x, t, text, pooled).square().mean());
                        }
                    }
                }
                s[i] = (System.nanoTime() - t0) / 1e9;
            }
            return s;
        }
    }
}
