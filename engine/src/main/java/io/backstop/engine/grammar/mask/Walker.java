package io.backstop.engine.grammar.mask;

import io.backstop.engine.grammar.automaton.Automaton;
import java.util.Arrays;

/**
 * Advances parse configurations ({@link Level}s) byte by byte over a request's {@link Frames}:
 * expand calls to find the frames that consume a byte, step them, then pop finished rules.
 * Allocation-free once its buffers have grown.
 */
final class Walker {
    final Automaton a;
    final Frames f;
    private int[] stack = new int[64];

    Walker(Frames frames) {
        this.a = frames.automaton;
        this.f = frames;
    }

    /** Adds a node reached by a step (or a frame to resume) and, while its rule may end, the frames below. */
    void addRoot(int node, Level out, int stamp) {
        while (true) {
            if (f.mark[node] == stamp) return;
            f.mark[node] = stamp;
            int s = f.state[node], c = f.count[node];
            if (a.canAdvance(s, c)) out.add(node, f.dist[node]);
            if (!a.accepting(s, c)) return;
            int p = f.parent[node];
            if (p == Frames.ROOT) {
                out.complete = true;
                return;
            }
            if (p == Frames.BOTTOM) {
                out.bottom = true;
                return;
            }
            node = p;
        }
    }

    /** Fills {@code level.members}: its roots and the frames their calls push, those that consume bytes. */
    void expand(Level level) {
        if (level.memberCount >= 0) return;
        level.memberCount = 0;
        int stamp = f.newStamp();
        int sp = 0;
        for (int i = 0; i < level.size; i++) {
            if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
            stack[sp++] = level.roots[i];
        }
        while (sp > 0) {
            int x = stack[--sp];
            if (f.mark[x] == stamp) continue;
            f.mark[x] = stamp;
            int s = f.state[x], c = f.count[x];
            if (a.hasBytes(s, c)) level.addMember(x);
            if (a.isChain(s)) {
                int step = a.chainStepRule(s);
                if (step >= 0 && c < a.chainMax(s)) {
                    int ret = f.intern(s, c + 1, f.parent[x]);
                    if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                    stack[sp++] = f.intern(a.ruleEntry(step), 0, ret);
                }
            } else {
                for (int i = a.callStart(s); i < a.callEnd(s); i++) {
                    int ret = f.intern(a.callReturn(i), 0, f.parent[x]);
                    if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                    stack[sp++] = f.intern(a.ruleEntry(a.callCallee(i)), 0, ret);
                }
            }
        }
    }

    /** {@code out} := the configuration after byte {@code b} from {@code in}. */
    void advance(Level in, int b, Level out) {
        out.reset();
        if (in.size == 0) return;
        expand(in);
        int stamp = f.newStamp();
        for (int i = 0; i < in.memberCount; i++) {
            int m = in.members[i];
            int s = f.state[m];
            int t = a.next(s, b);
            if (t < 0) continue;
            int n;
            if (a.isChain(s)) {
                int c = f.count[m];
                if (c >= a.chainMax(s)) continue;
                n = f.intern(s, c + 1, f.parent[m]);
            } else {
                n = f.intern(t, 0, f.parent[m]);
            }
            addRoot(n, out, stamp);
        }
    }

    /** The configuration of a single frame to resume (and the frames below it while its rule may end). */
    void start(int node, Level out) {
        out.reset();
        if (node == Frames.ROOT) {
            out.complete = true;
            return;
        }
        addRoot(node, out, f.newStamp());
    }
}
