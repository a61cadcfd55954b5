package io.backstop.server.route;

/**
 * The right to answer one request. When a route races several targets for a request (hedging), each
 * target writes nothing to the client before it passes the gate, and only one passes; the others are
 * stopped through the hook they registered.
 */
public interface Gate {
    /** For a request nobody else competes for. */
    Gate OPEN = new Gate() {
        @Override
        public boolean enter() {
            return true;
        }

        @Override
        public void onCancel(Runnable stop) {}
    };

    /** Called before the first byte of an answer: true when this target answers the client, false when another does. */
    boolean enter();

    /** What stops this target's work once another target answers; run at once if that has already happened. */
    void onCancel(Runnable stop);

    /** This gate, running {@code onEnter} (e.g. setting response headers) when it lets this target answer. */
    default Gate then(Runnable onEnter) {
        Gate gate = this;
        return new Gate() {
            @Override
            public boolean enter() {
                if (!gate.enter()) return false;
                onEnter.run();
                return true;
            }

            @Override
            public void onCancel(Runnable stop) {
                gate.onCancel(stop);
            }
        };
    }
}
