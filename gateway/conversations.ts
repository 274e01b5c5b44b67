/**
 * Minimal in-memory Conversations store (shapes of the real Conversations API)
 * and the cursor pagination shared with `GET /v1/responses/:id/input_items`.
 */
import { InputItem, JsonRecord, isRecord, newId, normalizeInputItems, nowSeconds } from './builders';

export interface Conversation {
  id: string;
  object: 'conversation';
  created_at: number;
  metadata: JsonRecord;
}

export interface ConversationDeleted {
  id: string;
  object: 'conversation.deleted';
  deleted: true;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

interface Entry {
  conversation: Conversation;
  items: InputItem[];
}

/**
 * Cursor pagination like the real API: `order` (asc|desc, default `defaultOrder`),
 * `after` (an item id), `limit` (1..100, default 20).
 */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  query: URLSearchParams,
  defaultOrder: 'asc' | 'desc' = 'desc',
): ListPage<T> {
  const order = query.get('order') ?? defaultOrder;
  const ordered = order === 'asc' ? [...items] : [...items].reverse();
  const after = query.get('after');
  const start = after ? ordered.findIndex((item) => item.id === after) + 1 : 0;
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const data = ordered.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}

export class ConversationStore {
  private readonly entries = new Map<string, Entry>();

  /** `POST /v1/conversations` body: `{ items?, metadata? }`. */
  create(body: JsonRecord): Conversation {
    const conversation: Conversation = {
      id: newId('conv'),
      object: 'conversation',
      created_at: nowSeconds(),
      metadata: isRecord(body.metadata) ? body.metadata : {},
    };
    this.entries.set(conversation.id, { conversation, items: normalizeInputItems(body.items ?? []) });
    return conversation;
  }

  get(id: string): Conversation | undefined {
    return this.entries.get(id)?.conversation;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  update(id: string, body: JsonRecord): Conversation | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (isRecord(body.metadata)) entry.conversation = { ...entry.conversation, metadata: body.metadata };
    return entry.conversation;
  }

  delete(id: string): ConversationDeleted | undefined {
    if (!this.entries.delete(id)) return undefined;
    return { id, object: 'conversation.deleted', deleted: true };
  }

  /** Appends already-normalized items; returns them, or undefined for an unknown conversation. */
  append(id: string, items: InputItem[]): InputItem[] | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.items.push(...items);
    return items;
  }

  /** `POST /v1/conversations/:id/items` body: `{ items }` → a list of the created items. */
  addItems(id: string, body: JsonRecord): ListPage<InputItem> | undefined {
    const added = this.append(id, normalizeInputItems(body.items ?? []));
    if (!added) return undefined;
    return paginate(added, new URLSearchParams({ order: 'asc', limit: '100' }));
  }

  listItems(id: string, query: URLSearchParams): ListPage<InputItem> | undefined {
    const entry = this.entries.get(id);
    return entry ? paginate(entry.items, query) : undefined;
  }

  getItem(id: string, itemId: string): InputItem | undefined {
    return this.entries.get(id)?.items.find((item) => item.id === itemId);
  }

  /** Deleting an item returns the conversation (as the real API does). */
  deleteItem(id: string, itemId: string): Conversation | undefined {
    const entry = this.entries.get(id);
    const index = entry ? entry.items.findIndex((item) => item.id === itemId) : -1;
    if (!entry || index < 0) return undefined;
    entry.items.splice(index, 1);
    return entry.conversation;
  }

  clear(): void {
    this.entries.clear();
  }
}
