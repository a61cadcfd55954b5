package io.backstop.server.guard.rules;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.time.Clock;
import java.util.Map;

/**
 * Creates a {@link BusinessRule} from a class name on the classpath and its config map, through the
 * first public constructor it has of: {@code (Map<String, Object>, Clock)} (rules that keep time get
 * the server's clock, which tests move by hand), {@code (Map<String, Object>)}, {@code ()}.
 */
public final class RuleLoader {
    private RuleLoader() {}

    /** Where rule classes are looked up: the thread's context loader (an embedding application's), else the server's. */
    public static ClassLoader defaultLoader() {
        ClassLoader l = Thread.currentThread().getContextClassLoader();
        return l != null ? l : RuleLoader.class.getClassLoader();
    }

    public static BusinessRule load(String className, Map<String, Object> config, ClassLoader loader) {
        return load(className, config, loader, Clock.systemUTC());
    }

    public static BusinessRule load(String className, Map<String, Object> config, ClassLoader loader, Clock clock) {
        Class<?> c;
        try {
            c = Class.forName(className, true, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("business rule class " + className + " is not on the classpath");
        }
        if (!BusinessRule.class.isAssignableFrom(c)) throw new IllegalArgumentException(className + " does not implement " + BusinessRule.class.getName());
        try {
            Constructor<?> withClock = constructor(c, Map.class, Clock.class);
            if (withClock != null) return (BusinessRule) withClock.newInstance(Map.copyOf(config), clock);
            Constructor<?> withConfig = constructor(c, Map.class);
            if (withConfig != null) return (BusinessRule) withConfig.newInstance(Map.copyOf(config));
            if (!config.isEmpty()) throw new IllegalArgumentException(className + " takes no config (it has no constructor taking a Map)");
            return (BusinessRule) c.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(className + " needs a public constructor taking Map<String, Object> or no arguments");
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(className + " rejected its config: " + cause.getMessage());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot create " + className + ": " + e);
        }
    }

    private static Constructor<?> constructor(Class<?> c, Class<?>... types) {
        try {
            return c.getConstructor(types);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
