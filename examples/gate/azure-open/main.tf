# A VM whose managed identity reads confidential blobs, made reachable over SSH
# from the Internet by a new NSG rule.
provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}

resource "azurerm_network_security_group" "app" {
  name                = "app-nsg"
  resource_group_name = "app"
  location            = "westeurope"
}

# The change: SSH from anywhere to the VM whose identity reads the ledger.
resource "azurerm_network_security_rule" "ssh" {
  name                        = "ssh"
  resource_group_name         = "app"
  network_security_group_name = azurerm_network_security_group.app.name
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "22"
  source_address_prefix       = "*"
  destination_address_prefix  = "*"
}

resource "azurerm_public_ip" "app" {
  name                = "app-ip"
  resource_group_name = "app"
  location            = "westeurope"
  sku                 = "Standard"
  allocation_method   = "Static"
}

resource "azurerm_network_interface" "app" {
  name                = "app-nic"
  resource_group_name = "app"
  location            = "westeurope"
  ip_configuration {
    name                          = "internal"
    subnet_id                     = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/app/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app"
    private_ip_address_allocation = "Static"
    private_ip_address            = "10.0.1.4"
    public_ip_address_id          = azurerm_public_ip.app.id
  }
}

resource "azurerm_network_interface_security_group_association" "app" {
  network_interface_id      = azurerm_network_interface.app.id
  network_security_group_id = azurerm_network_security_group.app.id
}

resource "azurerm_user_assigned_identity" "app" {
  name                = "app-id"
  resource_group_name = "app"
  location            = "westeurope"
}

resource "azurerm_linux_virtual_machine" "app" {
  name                            = "app-vm"
  resource_group_name             = "app"
  location                        = "westeurope"
  size                            = "Standard_B2s"
  admin_username                  = "ops"
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.app.id]
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }
  # os_disk, source_image_reference and admin_ssh_key left out for brevity
}

resource "azurerm_storage_account" "ledger" {
  name                            = "acmeledger"
  resource_group_name             = "app"
  location                        = "westeurope"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  allow_nested_items_to_be_public = true
  shared_access_key_enabled       = false
  tags = {
    data-classification = "confidential"
  }
}

resource "azurerm_storage_container" "reports" {
  name                  = "reports"
  storage_account_id    = azurerm_storage_account.ledger.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "app_reads_ledger" {
  scope                = azurerm_storage_account.ledger.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
}
