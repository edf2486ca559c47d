/**
 * All inversify calls of embrec live in this file (inversify's API churns between majors).
 *
 * - The root container holds process-wide services: the registry and the logger.
 * - Each plugin becomes one ContainerModule that binds a named factory per component
 *   (service `factory:<kind>`, name `namespace/type`).
 * - Each trial gets a child container. Components created for the trial are bound in it, and
 *   unbinding it at the end of the trial disposes them (tensors, native indexes).
 */
import { Container, ContainerModule } from 'inversify';
import type { Logger } from '../util/log.ts';
import type { AnyComponentDefinition, PluginDefinition } from './define.ts';
import type { Registry } from './registry.ts';

export const ROOT_TOKENS = {
  registry: Symbol.for('embrec.registry'),
  logger: Symbol.for('embrec.logger'),
} as const;

const factoryToken = (kind: string): symbol => Symbol.for(`embrec.factory:${kind}`);
const instanceToken = Symbol.for('embrec.instance');

/** The component definition itself is the factory: core calls def.create with validated params. */
function pluginModule(plugin: PluginDefinition): ContainerModule {
  return new ContainerModule((options) => {
    for (const def of plugin.components) {
      options
        .bind<AnyComponentDefinition>(factoryToken(def.kind))
        .toConstantValue(def)
        .whenNamed(`${plugin.meta.namespace}/${def.type}`);
    }
  });
}

export class RootScope {
  readonly #container: Container;

  constructor(registry: Registry, logger: Logger) {
    this.#container = new Container();
    this.#container.bind(ROOT_TOKENS.registry).toConstantValue(registry);
    this.#container.bind(ROOT_TOKENS.logger).toConstantValue(logger);
    for (const p of registry.plugins) this.#container.load(pluginModule(p));
  }

  /** Loads a plugin added to the registry after the scope was made. */
  addPlugin(plugin: PluginDefinition): void {
    this.#container.load(pluginModule(plugin));
  }

  trial(): TrialScope {
    return new TrialScope(new Container({ parent: this.#container }));
  }
}

interface Disposable {
  dispose?: () => void;
}

export class TrialScope {
  readonly #container: Container;
  #n = 0;
  #disposed = false;

  constructor(container: Container) {
    this.#container = container;
  }

  /** The factory (component definition) registered for kind + qualified type. */
  factory(kind: string, qualifiedType: string): AnyComponentDefinition {
    return this.#container.get<AnyComponentDefinition>(factoryToken(kind), { name: qualifiedType });
  }

  /** Holds an instance for the trial's lifetime; it is disposed when the trial scope is. */
  own<T>(instance: T): T {
    const name = `i${this.#n++}`;
    this.#container
      .bind<T>(instanceToken)
      .toConstantValue(instance)
      .whenNamed(name)
      .onDeactivation((v) => {
        const d = v as Disposable;
        if (d && typeof d.dispose === 'function') d.dispose();
      });
    this.#container.get<T>(instanceToken, { name }); // resolve now, so deactivation runs on unbind
    return instance;
  }

  /** Unbinds everything of the trial: every owned instance's dispose() runs. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#container.unbindAll();
  }
}
