#!/usr/bin/env python3
"""The PyTorch peer of DiffRL4J's MMDiT (core: io.diffrl4j.models.mmdit), for the Java/PyTorch comparison.

Pure PyTorch (no diffusers), written from the same math as the Java blocks, on the weights and
inputs the Java side exports (PeerComparison): same config, same shapes, same dtype (fp32), same
LoRA adapters (A and B over the attention projections, scale alpha / r). Two op sets:

  mirror     the op sequence of the Java code, op for op: silu as sigmoid(x) * x, the tanh GELU
             composed of elementwise ops, layer norm with explicit unit scale and zero shift, RMS
             norm as x / sqrt(mean(x^2) + eps) * w, attention composed (matmul, scale, softmax,
             matmul) unless "sdpa" is asked for. With it, a Java/PyTorch time ratio measures what
             DJL, JNI and the JVM add to the same kernels.
  idiomatic  what a PyTorch user writes: F.silu, F.gelu(approximate="tanh"), F.layer_norm without
             affine, rsqrt RMS norm, and F.scaled_dot_product_attention when this PyTorch has it.

Modes:
  --serve    (used by PeerComparison) load, check against the Java outputs, then answer JSON
             commands on stdin, one per line:
               {"op": "time", "mode": "forward"|"forward_backward", "ops": "mirror"|"idiomatic",
                "attention": "composed"|"sdpa", "reps": K}   ->  {"times": [seconds, ...]}
               {"op": "quit"}
  default    standalone: check, then time each mode and print one JSON object (this is how the
             same files are timed on a GPU machine: --device cuda).

The check prints the largest absolute difference between this implementation's output (and the
LoRA gradients of mean(out^2)) and the Java side's, which is the proof that both compute the
identical model: about 1e-5 in fp32 is expected.
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F

EPS = 1e-6
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
DTYPES = {"F32": torch.float32, "F16": torch.float16, "F64": torch.float64, "I64": torch.int64,
          "I32": torch.int32, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def load_safetensors(path):
    """Reads a safetensors file into tensors that share one buffer (no safetensors package needed)."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        data = bytearray(size)
        f.readinto(data)
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        count = (end - start) // torch.tensor([], dtype=dtype).element_size()
        t = torch.frombuffer(data, dtype=dtype, count=count, offset=8 + n + start) if count else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    return out


def blas_libraries():
    """The BLAS shared objects this process mapped (Debian's PyTorch calls whatever libblas.so.3 points to)."""
    try:
        with open("/proc/self/maps") as f:
            return sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    except OSError:
        return []


class MirrorOps:
    """The Java code's op sequence (core: Activations, RmsNorm, AdaLayerNorm, ComposedKernels)."""

    def __init__(self, attention):
        self.attention_kind = attention

    @staticmethod
    def silu(x):
        return torch.sigmoid(x) * x

    @staticmethod
    def gelu_tanh(x):
        inner = (x + (x.square() * x) * 0.044715) * SQRT_2_OVER_PI
        return (x * (inner.tanh() + 1)) * 0.5

    @staticmethod
    def layer_norm(x):
        d = x.shape[-1]
        return F.layer_norm(x, (d,), torch.ones(d, dtype=x.dtype, device=x.device),
                            torch.zeros(d, dtype=x.dtype, device=x.device), EPS)

    @staticmethod
    def rms_norm(x, w):
        variance = x.square().mean(-1, keepdim=True)
        return (x / (variance + EPS).sqrt()) * w

    def attention(self, q, k, v):
        if self.attention_kind == "sdpa":
            return F.scaled_dot_product_attention(q, k, v)
        scale = 1.0 / math.sqrt(q.shape[-1])
        return ((q @ k.transpose(-2, -1)) * scale).softmax(-1) @ v


class IdiomaticOps(MirrorOps):
    """The same model as a PyTorch user writes it."""

    silu = staticmethod(F.silu)

    @staticmethod
    def gelu_tanh(x):
        return F.gelu(x, approximate="tanh")

    @staticmethod
    def layer_norm(x):
        return F.layer_norm(x, (x.shape[-1],), eps=EPS)

    @staticmethod
    def rms_norm(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


class Mmdit:
    """SD3's MMDiT (diffusers' SD3Transformer2DModel math) over a dict of diffusers-named weights."""

    def __init__(self, config, weights, lora, lora_scale):
        self.c = config
        self.w = weights
        self.lora = lora
        self.lora_scale = lora_scale
        self.heads = config["num_attention_heads"]
        self.dim = config["num_attention_heads"] * config["attention_head_dim"]
        self.layers = config["num_layers"]
        self.dual = set(config.get("dual_attention_layers") or [])
        self.qk = config.get("qk_norm") is not None
        self.positions = {}
        self.frequencies = None

    def linear(self, name, x):
        y = F.linear(x, self.w[name + ".weight"], self.w.get(name + ".bias"))
        ab = self.lora.get(name)
        if ab is not None:
            y = y + F.linear(F.linear(x, ab[0]), ab[1]) * self.lora_scale
        return y

    @staticmethod
    def modulate(normed, shift, scale):
        return normed * (scale.unsqueeze(1) + 1) + shift.unsqueeze(1)

    def position_table(self, h, w, device):
        key = (h, w, str(device))
        if key not in self.positions:
            c = self.c
            base = c["sample_size"] // c["patch_size"]
            grid = c.get("pos_embed_max_size") or base
            top, left = (grid - h) // 2, (grid - w) // 2
            scale = grid / base
            quarter = self.dim // 4
            f64 = torch.float64
            omega = 1.0 / torch.pow(torch.tensor(10000.0, dtype=f64), torch.arange(quarter, dtype=f64) / (self.dim / 4.0))
            # diffusers (and the Java port) round the scaled grid positions to float32.
            rows = ((top + torch.arange(h, dtype=f64)) / scale).float().double()
            cols = ((left + torch.arange(w, dtype=f64)) / scale).float().double()
            col_args = cols[:, None] * omega[None, :]
            row_args = rows[:, None] * omega[None, :]
            t = torch.empty(h, w, self.dim, dtype=f64)
            t[:, :, :quarter] = torch.sin(col_args)[None]
            t[:, :, quarter:2 * quarter] = torch.cos(col_args)[None]
            t[:, :, 2 * quarter:3 * quarter] = torch.sin(row_args)[:, None]
            t[:, :, 3 * quarter:] = torch.cos(row_args)[:, None]
            self.positions[key] = t.reshape(1, h * w, self.dim).float().to(device)
        return self.positions[key]

    def timestep_frequencies(self, device):
        if self.frequencies is None:
            half = 128
            # float32 step by step, as diffusers' get_timestep_embedding and the Java port do.
            log_period = torch.tensor(-math.log(10000), dtype=torch.float32)
            exponent = (log_period * torch.arange(half, dtype=torch.float32)) / half
            self.frequencies = torch.exp(exponent.double()).float().to(device)
        return self.frequencies

    def heads_of(self, x, norm, ops):
        b, t, _ = x.shape
        s = x.reshape(b, t, self.heads, -1).transpose(1, 2)
        return s if norm is None else ops.rms_norm(s, self.w[norm + ".weight"])

    def attention(self, pre, image, text, joint, context_output, ops):
        qk = self.qk
        q = self.heads_of(self.linear(pre + ".to_q", image), pre + ".norm_q" if qk else None, ops)
        k = self.heads_of(self.linear(pre + ".to_k", image), pre + ".norm_k" if qk else None, ops)
        v = self.heads_of(self.linear(pre + ".to_v", image), None, ops)
        n = image.shape[1]
        if joint:
            q = torch.cat([q, self.heads_of(self.linear(pre + ".add_q_proj", text), pre + ".norm_added_q" if qk else None, ops)], 2)
            k = torch.cat([k, self.heads_of(self.linear(pre + ".add_k_proj", text), pre + ".norm_added_k" if qk else None, ops)], 2)
            v = torch.cat([v, self.heads_of(self.linear(pre + ".add_v_proj", text), None, ops)], 2)
        out = ops.attention(q, k, v)
        b, h, t, d = out.shape
        merged = out.transpose(1, 2).reshape(b, t, h * d)
        if not joint:
            return self.linear(pre + ".to_out.0", merged), None
        image_out = self.linear(pre + ".to_out.0", merged[:, :n])
        if not context_output:
            return image_out, None
        return image_out, self.linear(pre + ".to_add_out", merged[:, n:])

    def feed_forward(self, pre, x, ops):
        return self.linear(pre + ".net.2", ops.gelu_tanh(self.linear(pre + ".net.0.proj", x)))

    def block(self, i, image, text, temb, ops):
        pre = "transformer_blocks.%d" % i
        dual = i in self.dual
        pre_only = i == self.layers - 1
        m = self.linear(pre + ".norm1.linear", ops.silu(temb)).chunk(9 if dual else 6, 1)
        normed = ops.layer_norm(image)
        image_in = self.modulate(normed, m[0], m[1])
        c = self.linear(pre + ".norm1_context.linear", ops.silu(temb)).chunk(2 if pre_only else 6, 1)
        text_normed = ops.layer_norm(text)
        text_in = self.modulate(text_normed, c[1], c[0]) if pre_only else self.modulate(text_normed, c[0], c[1])
        attended_image, attended_text = self.attention(pre + ".attn", image_in, text_in, True, not pre_only, ops)
        image = image + attended_image * m[2].unsqueeze(1)
        if dual:
            image2 = self.modulate(normed, m[6], m[7])
            image = image + self.attention(pre + ".attn2", image2, None, False, False, ops)[0] * m[8].unsqueeze(1)
        mlp_in = self.modulate(ops.layer_norm(image), m[3], m[4])
        image = image + self.feed_forward(pre + ".ff", mlp_in, ops) * m[5].unsqueeze(1)
        if pre_only:
            return image, None
        text = text + attended_text * c[2].unsqueeze(1)
        text_mlp_in = self.modulate(ops.layer_norm(text), c[3], c[4])
        text = text + self.feed_forward(pre + ".ff_context", text_mlp_in, ops) * c[5].unsqueeze(1)
        return image, text

    def forward(self, latents, timestep, text, pooled, ops):
        p = self.c["patch_size"]
        b, _, height, width = latents.shape
        h, w = height // p, width // p
        image = F.conv2d(latents, self.w["pos_embed.proj.weight"], self.w["pos_embed.proj.bias"], stride=p)
        image = image.reshape(b, self.dim, h * w).transpose(1, 2)
        image = image + self.position_table(h, w, latents.device)
        args = timestep.float()[:, None] * self.timestep_frequencies(latents.device)[None, :]
        frequencies = torch.cat([args.cos(), args.sin()], 1)
        time_emb = self.linear("time_text_embed.timestep_embedder.linear_2",
                               ops.silu(self.linear("time_text_embed.timestep_embedder.linear_1", frequencies)))
        text_emb = self.linear("time_text_embed.text_embedder.linear_2",
                               ops.silu(self.linear("time_text_embed.text_embedder.linear_1", pooled)))
        temb = time_emb + text_emb
        context = self.linear("context_embedder", text)
        for i in range(self.layers):
            image, context = self.block(i, image, context, temb, ops)
        m = self.linear("norm_out.linear", ops.silu(temb)).chunk(2, 1)
        image = self.modulate(ops.layer_norm(image), m[1], m[0])
        tokens = self.linear("proj_out", image)
        c = self.c["out_channels"]
        return tokens.reshape(b, h, w, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, height, width)


class Peer:
    def __init__(self, args):
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        self.device = torch.device(args.device)
        with open(args.config) as f:
            meta = json.load(f)
        weights = {k: v.to(self.device) for k, v in load_safetensors(args.weights).items()}
        io = load_safetensors(args.io)
        self.io = {k: v.to(self.device) for k, v in io.items()}
        lora = {}
        for module in meta["lora_modules"]:
            a = weights.pop(module + ".lora_A.weight").clone().requires_grad_(True)
            b = weights.pop(module + ".lora_B.weight").clone().requires_grad_(True)
            lora[module] = (a, b)
        self.lora = lora
        self.model = Mmdit(meta["config"], weights, lora, meta["lora_scale"])
        self.inputs = (self.io["latents"], self.io["timestep"], self.io["text"], self.io["pooled"])

    def ops(self, kind, attention):
        if attention == "sdpa" and not HAS_SDPA:
            raise ValueError("this PyTorch (%s) has no scaled_dot_product_attention" % torch.__version__)
        return MirrorOps(attention) if kind == "mirror" else IdiomaticOps(attention)

    def best_attention(self):
        return "sdpa" if HAS_SDPA else "composed"

    def zero_grads(self):
        for a, b in self.lora.values():
            a.grad = None
            b.grad = None

    def check(self):
        """Largest absolute differences to the Java outputs and LoRA gradients."""
        result = {"torch": torch.__version__, "device": str(self.device), "threads": torch.get_num_threads(),
                  "has_sdpa": HAS_SDPA, "best_attention": self.best_attention(), "blas": blas_libraries()}
        with torch.no_grad():
            mirror = self.model.forward(*self.inputs, self.ops("mirror", "composed"))
            result["max_abs_diff_out_mirror_composed_vs_java_composed"] = (mirror - self.io["out.composed"]).abs().max().item()
            idiomatic = self.model.forward(*self.inputs, self.ops("idiomatic", self.best_attention()))
            result["max_abs_diff_out_idiomatic_vs_java_fused"] = (idiomatic - self.io["out.fused"]).abs().max().item()
            result["max_abs_out"] = self.io["out.composed"].abs().max().item()
        self.zero_grads()
        out = self.model.forward(*self.inputs, self.ops("mirror", "composed"))
        out.square().mean().backward()
        diff = 0.0
        scale = 0.0
        for module, (a, b) in self.lora.items():
            for name, p in ((module + ".lora_A.weight", a), (module + ".lora_B.weight", b)):
                java = self.io["grad." + name]
                diff = max(diff, (p.grad - java).abs().max().item())
                scale = max(scale, java.abs().max().item())
        result["max_abs_diff_lora_grad_vs_java"] = diff
        result["max_abs_lora_grad"] = scale
        self.zero_grads()
        return result

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def time(self, mode, ops_kind, attention, reps):
        ops = self.ops(ops_kind, attention)
        times = []
        for _ in range(reps):
            self.sync()
            t0 = time.perf_counter()
            if mode == "forward":
                with torch.no_grad():
                    self.model.forward(*self.inputs, ops)
            elif mode == "forward_backward":
                # LoRA gradients accumulate across calls, as on the Java side.
                self.model.forward(*self.inputs, ops).square().mean().backward()
            else:
                raise ValueError("mode must be forward or forward_backward, not " + mode)
            self.sync()
            times.append(time.perf_counter() - t0)
        return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="base and LoRA weights (safetensors, diffusers names)")
    parser.add_argument("--io", required=True, help="inputs, Java outputs and Java LoRA gradients (safetensors)")
    parser.add_argument("--config", required=True, help="JSON: {config, lora_modules, lora_scale}")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="intra-op threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--serve", action="store_true", help="answer timing commands on stdin (PeerComparison)")
    parser.add_argument("--reps", type=int, default=5, help="standalone: timed repetitions per mode")
    parser.add_argument("--warmup", type=int, default=1, help="standalone: untimed repetitions per mode")
    args = parser.parse_args()
    peer = Peer(args)
    print(json.dumps({"check": peer.check()}), flush=True)
    if args.serve:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            cmd = json.loads(line)
            if cmd["op"] == "quit":
                break
            try:
                times = peer.time(cmd["mode"], cmd["ops"], cmd["attention"], int(cmd["reps"]))
                print(json.dumps({"times": times}), flush=True)
            except Exception as e:  # report, keep serving
                print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}), flush=True)
        return
    results = {}
    for ops_kind, attention in (("mirror", "composed"), ("idiomatic", peer.best_attention())):
        for mode in ("forward", "forward_backward"):
            peer.time(mode, ops_kind, attention, args.warmup)
            times = sorted(peer.time(mode, ops_kind, attention, args.reps))
            results["%s/%s/%s" % (ops_kind, attention, mode)] = {"median_s": times[len(times) // 2], "times": times}
    print(json.dumps({"timings": results}), flush=True)


if __name__ == "__main__":
    main()
