package io.backstop.server.guard.rules;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;

/** Creates a {@link BusinessRule} from a class name on the classpath and its config map. */
public final class RuleLoader {
    private RuleLoader() {}

    public static BusinessRule load(String className, Map<String, Object> config, ClassLoader loader) {
        Class<?> c;
        try {
            c = Class.forName(className, true, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("business rule class " + className + " is not on the classpath");
        }
        if (!BusinessRule.class.isAssignableFrom(c)) throw new IllegalArgumentException(className + " does not implement " + BusinessRule.class.getName());
        try {
            try {
                Constructor<?> k = c.getConstructor(Map.class);
                return (BusinessRule) k.newInstance(Map.copyOf(config));
            } catch (NoSuchMethodException e) {
                if (!config.isEmpty()) throw new IllegalArgumentException(className + " takes no config (it has no constructor taking a Map)");
                return (BusinessRule) c.getConstructor().newInstance();
            }
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(className + " needs a public constructor taking Map<String, Object> or no arguments");
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(className + " rejected its config: " + cause.getMessage());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot create " + className + ": " + e);
        }
    }
}
